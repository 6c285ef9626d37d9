import type { CID } from 'multiformats/cid'
import type { Manifest } from '@codio-chunk/interface'
import type { Bitfield } from '@codio-chunk/interface'
import type { PeerHoldings } from '@codio-chunk/pieces'
import type { PeerSession } from '../peers/peer-session.js'
import type { Download } from '../download/download.js'
import type { SuperSeeder } from './super-seeder.js'

/**
 * Decides which chunks of one content this node serves to whom, beyond holding them (the
 * super-seeder, while a content is super-seeded). The uploader asks it before serving a chunk and
 * tells it when one was sent.
 */
export interface UploadGate {
  /** False to refuse chunk `index` to `session` (it is rejected as NotFound). */
  mayServe(session: PeerSession, index: number): boolean
  /** Chunk `index` was sent to `session`. */
  served(session: PeerSession, index: number): void
}

/**
 * Everything this node knows about one content: its manifest, the chunks it holds, the peers that
 * exchanged bitfields for it, the running download if it is incomplete, and the super-seeder
 * while it is being super-seeded.
 */
export class ContentSwarm {
  readonly key: string
  readonly manifest: Manifest
  /** Chunks this node holds (verified and stored). */
  readonly have: Bitfield
  /** Peers that sent a bitfield for this content, with what they hold. */
  readonly peers = new Map<PeerSession, PeerHoldings>()
  /** Listen addresses of swarm members learned from hellos and peer exchange (bounded). */
  readonly knownAddresses = new Set<string>()
  /** Provider addresses given by the application: always retried, never forgotten. */
  readonly providers = new Set<string>()
  download?: Download
  /**
   * Set while this node super-seeds the content (`superSeed` in the config, for content complete
   * when it was registered): decides which chunks each peer is told about and may be served.
   */
  superSeed?: SuperSeeder
  /** Consulted before a chunk is served and told when it was sent (see {@link UploadGate}). */
  uploadGate?: UploadGate
  private leafIndex?: Map<string, number>
  /** Times each chunk was sent, saturating at 255; allocated on the first send. */
  private sent?: Uint8Array

  constructor (manifest: Manifest, have: Bitfield) {
    this.manifest = manifest
    this.have = have
    this.key = manifest.root.toString()
  }

  get root (): CID {
    return this.manifest.root.cid
  }

  /**
   * How widely chunk `index` has spread, as far as this node can tell (lower is rarer; the
   * uploader serves rarer chunks first, see `UploadOrder`): while downloading, the number of
   * connected peers that have it; otherwise the number of times this node sent it.
   */
  spread (index: number): number {
    const download = this.download
    if (download !== undefined && !download.done) return download.availability.availability(index)
    return this.sent?.[index] ?? 0
  }

  /** Counts one more send of chunk `index` (see {@link spread}). */
  countSent (index: number): void {
    if (!(index >= 0 && index < this.manifest.chunkCount)) return
    this.sent ??= new Uint8Array(this.manifest.chunkCount)
    if (this.sent[index] < 255) this.sent[index]++
  }

  /** The chunk index whose leaf CID is `cid`, or -1. Builds its index on first use. */
  chunkIndexOf (cid: CID): number {
    if (this.leafIndex === undefined) {
      this.leafIndex = new Map()
      for (let i = 0; i < this.manifest.chunkCount; i++) {
        const key = this.manifest.chunkCid(i).toString()
        if (!this.leafIndex.has(key)) this.leafIndex.set(key, i)
      }
    }
    return this.leafIndex.get(cid.toString()) ?? -1
  }
}
