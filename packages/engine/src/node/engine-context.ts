import type { ChunkConfig } from '../config.js'
import type { BufferPool, Logger } from '@codio-chunk/interface'
import type { Storage } from '@codio-chunk/interface'
import type { Strategy } from '@codio-chunk/interface'
import type { ContentId } from '@codio-chunk/interface'
import type { TypedEmitter } from '../events.js'
import type { Clock } from '../peers/rate-meter.js'
import type { TokenBucket } from '../upload/token-bucket.js'
import type { PeerSession } from '../peers/peer-session.js'
import type { ContentSwarm } from '../swarm/swarm.js'
import type { VerifyQueue } from '../download/verify-queue.js'

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
}

/** What the download and upload units need from the distributor. */
export interface EngineContext {
  readonly config: ChunkConfig
  readonly strategy: Strategy
  readonly storage: Storage
  /** The node's chunk buffer pool: frames go back to it once stored, read chunks once sent. */
  readonly buffers: BufferPool
  readonly verify: VerifyQueue
  readonly clock: Clock
  readonly events: TypedEmitter<DistributorEvents>
  readonly log: Logger
  /** Node-wide upload cap (`config.uploadLimit`): chunks are sent once it grants their bytes. */
  readonly uploadLimiter: TokenBucket
  /** Node-wide download cap (`config.downloadLimit`): chunk requests are issued once it grants their bytes. */
  readonly downloadLimiter: TokenBucket
  /** Disconnects and bans a peer. */
  ban(session: PeerSession, reason: string): void
  /** Tells the swarm we now have chunk `index`. */
  announceHave(swarm: ContentSwarm, index: number): void
  /** Sends interested / not-interested when our interest in a peer changes. */
  setInterest(swarm: ContentSwarm, session: PeerSession, interested: boolean): void
  /** Dials the swarm's known addresses that are not connected; resolves when the attempts settle. */
  redial(swarm: ContentSwarm): Promise<void>
  /** A download started (true) or ended (false): a node with none running ranks peers as a seeder. */
  downloadRunning(running: boolean): void
}
