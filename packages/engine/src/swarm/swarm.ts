import type { Bitfield, ChunkSet, Manifest, PeerChunks } from '@codio-chunk/interface'
import type { PeerHoldings } from '@codio-chunk/pieces'
import type { CID } from 'multiformats/cid'
import type { PeerSession } from '../peers/peer-session.js'

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

/** What the swarm tells a running download about its members (implemented by `Download`). */
export interface SwarmDownload {
  /** True once the download completed, failed or was aborted. */
  readonly done: boolean
  /** A peer sent its first bitfield for this content. */
  peerJoined(session: PeerSession, holdings: PeerHoldings): void
  /** A member sent a new bitfield (its holdings were updated in place). */
  peerUpdated(session: PeerSession): void
  /** A member announced chunk `index`. */
  peerHas(session: PeerSession, index: number): void
  /** A member left (it disconnected, or said it no longer holds the content). */
  peerLeft(session: PeerSession): void
  /** A member choked us. */
  peerChoked(session: PeerSession): void
  /** A member unchoked us, or something else may let us ask it for more. */
  fill(session: PeerSession): void
  /** Chunks that reached storage some other way (the content was published locally). */
  storedElsewhere(indices: Iterable<number>): void
  /** How many connected members hold chunk `index`. */
  availabilityOf(index: number): number
  /** Moves the playback position strategies such as `sequential()` pick from. */
  setPosition(index: number): void
}

/**
 * What a content's download asks of the readers streaming it (implemented by `ContentReaders`):
 * the chunks they are about to need come before the strategy's picks, and they hear of each chunk
 * stored.
 */
export interface SwarmReaders {
  /** A candidate chunk `peer` has that a reader needs soon, or undefined. */
  pick(candidates: ChunkSet, peer: PeerChunks): number | undefined
  /** Chunk `index` was verified and stored. */
  stored(index: number): void
  /** The lowest position of a reader still waiting for chunks, or undefined. */
  earliest(): number | undefined
}

/** What the swarm tells a content's super-seeder (implemented by `SuperSeeder`). */
export interface SwarmSuperSeed extends UploadGate {
  /** True while super-seeding runs. */
  readonly active: boolean
  /** A peer joined: returns the bitfield to send it (only the chunks revealed to it). */
  peerJoined(session: PeerSession, holdings: PeerHoldings): Bitfield
  peerUpdated(session: PeerSession): void
  peerHas(session: PeerSession, index: number): void
  peerLeft(session: PeerSession): void
  /** Stops without touching the wire (the node is stopping, or the content is removed). */
  stop(): void
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
  /** Peers we sent our bitfield of this content to (they answer a first one with theirs). */
  readonly bitfieldSentTo = new WeakSet<PeerSession>()
  /** The running download, while the content is incomplete and being fetched. */
  download?: SwarmDownload
  /** Set while someone streams the content (`streamContent`): what its readers need next. */
  readers?: SwarmReaders
  /**
   * Set while this node super-seeds the content (`superSeed` in the config, for content complete
   * when it was registered): decides which chunks each peer is told about and may be served.
   */
  superSeed?: SwarmSuperSeed
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

  /** Consulted before a chunk is served and told when it was sent (the super-seeder, while one runs). */
  get uploadGate (): UploadGate | undefined {
    return this.superSeed?.active === true ? this.superSeed : undefined
  }

  /**
   * How widely chunk `index` has spread, as far as this node can tell (lower is rarer; the
   * uploader serves rarer chunks first, see `UploadOrder`): while downloading, the number of
   * connected peers that have it; otherwise the number of times this node sent it.
   */
  spread (index: number): number {
    const download = this.download
    if (download !== undefined && !download.done) return download.availabilityOf(index)
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
