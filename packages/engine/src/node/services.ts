import type { ChunkConfig } from '../config.js'
import type { TypedEmitter } from '../events.js'
import type { Clock } from '../peers/rate-meter.js'
import type { TokenBucket } from '../upload/token-bucket.js'
import type { VerifyQueue } from '../download/verify-queue.js'
import type { DistributorEvents } from './distributor-events.js'
import type { OriginPool } from '../origin/origin-pool.js'
import type { BufferPool, Logger, Storage, Strategy } from '@codio-chunk/interface'

/**
 * The node-wide services the download and upload units share: settings, plugins and the two rate
 * limiters. Read-only and one-way: nothing here calls back into the units that use it (a unit
 * that must tell another something takes a small events interface of its own).
 */
export interface EngineServices {
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
  /** The origins (HTTP trustless gateways) the node falls back to; `enabled` is false without any. */
  readonly origins: OriginPool
}
