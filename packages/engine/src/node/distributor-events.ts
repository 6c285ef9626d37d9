import type { ContentId } from '@codio-chunk/interface'
import type { CID } from 'multiformats/cid'

/** Events a ChunkDistributor emits (`node.events.on(name, listener)`). */
export interface DistributorEvents {
  /** A peer finished the handshake. */
  'peer:connect': { peerId: string, address: string, direction: 'inbound' | 'outbound' }
  /** A peer's connection closed. */
  'peer:disconnect': { peerId: string, address: string, error?: Error }
  /** A peer was disconnected and banned. */
  'peer:banned': { peerId: string, address: string, reason: string }
  /** A downloaded chunk passed verification and was stored. */
  'chunk:verified': { cid: ContentId, index: number, peerId: string, bytes: number }
  /** A downloaded chunk failed verification and was dropped. */
  'chunk:invalid': { cid: ContentId, index: number, peerId: string }
  /** A chunk request timed out and will be asked of another peer. */
  'chunk:timeout': { cid: ContentId, index: number, peerId: string }
  /** A chunk was sent to a peer. */
  'chunk:served': { cid: ContentId, index: number, peerId: string, bytes: number }
  /** A download finished: every chunk is verified and stored. */
  'download:complete': { cid: ContentId }
  /** A chunk fetched from an origin (the swarm did not deliver it in time) passed verification and was stored. */
  'origin:chunk': { cid: ContentId, index: number, origin: string, bytes: number }
  /** A manifest block of content `cid` was fetched from an origin and verified. */
  'origin:block': { cid: ContentId, block: CID, origin: string, bytes: number }
  /** A request to an origin for block `cid` failed (HTTP error, timeout, unreachable, misbehaviour); another origin or the swarm is asked. */
  'origin:error': { origin: string, cid: CID, error: Error }
  /** An origin misbehaved (bytes that do not match, an oversized or HTML answer) and is not used again by this node. */
  'origin:banned': { origin: string, reason: string }
}
