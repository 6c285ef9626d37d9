import type { PeerChunks } from '@codio-chunk/interface'
import type { PeerHoldings } from '@codio-chunk/pieces'
import type { OutgoingRequest, PeerSession } from '../peers/peer-session.js'
import type { TokenBucket } from '../upload/token-bucket.js'
import type { OriginProgress } from '../origin/origin-fallback.js'

/** Where a download stands, as returned by `downloadProgress()`. */
export interface DownloadProgress {
  /** Fraction done, 0 to 1. */
  progress: number
  /** Bytes verified and stored so far (including chunks found already stored). */
  downloadedBytes: number
  /** Size of the content. */
  totalBytes: number
  /** Bytes per second over the last few seconds. */
  downloadRate: number
  /** Connected peers that have sent their chunk map for this content. */
  peers: number
  /** Estimated milliseconds left at the current rate, or undefined when nothing is arriving. */
  eta: number | undefined
  /** What the node's discoveries did for this download (absent without discoveries). */
  discovery?: SearchProgress
  /** Chunks fetched from the node's origins in this download, and the share that came from peers (absent without origins). */
  origin?: OriginProgress
}

/** The provider search of one download, as {@link DownloadProgress} reports it. */
export interface SearchProgress {
  /** Lookups finished. */
  lookups: number
  /** Provider records found over every lookup. */
  found: number
  /** Discovered providers connected. */
  connected: number
  /** Dials to discovered providers in flight now (at most `SEARCH_DIALS`). */
  dialing: number
}

/**
 * One chunk asked of one peer, tracked from the moment it is picked. While the node's download
 * limiter has not granted its bytes, `waiting` is set and `request` is not: the chunk is reserved
 * for the peer and counts against its pipeline, but nothing has been sent.
 */
export interface ChunkRequest {
  readonly index: number
  readonly session: PeerSession
  /** The request on the wire, once sent. */
  request?: OutgoingRequest
  /** Aborting it gives up the place in the download limiter's queue. */
  waiting?: AbortController
}

/**
 * Takes a chunk's bytes from the download limiter for `entry`: true if granted at once (always
 * when unlimited, without allocating). Otherwise the entry joins the limiter's queue, `granted`
 * runs when its turn comes, and aborting `entry.waiting` gives up the place.
 */
export function admitRequest (limiter: TokenBucket, entry: ChunkRequest, bytes: number, granted: () => void): boolean {
  if (limiter.tryTake(bytes)) return true
  const waiting = entry.waiting = new AbortController()
  limiter.take(bytes, { signal: waiting.signal }).then(() => {
    entry.waiting = undefined
    granted()
  }, () => {}) // aborted: the request was dropped, or the node is stopping
  return false
}

/** Per-peer download bookkeeping. */
export class PeerDownload implements PeerChunks {
  inflight = 0
  /** Chunks this peer failed to deliver, with the time until which we ask others first. */
  readonly failed = new Map<number, number>()
  snubbed = false

  constructor (readonly holdings: PeerHoldings, private readonly now: () => number) {}

  get complete (): boolean { return this.holdings.complete && this.failed.size === 0 }
  get count (): number { return this.holdings.count }

  has (index: number): boolean {
    if (!this.holdings.has(index)) return false
    if (this.failed.size === 0) return true
    const until = this.failed.get(index)
    if (until === undefined) return true
    if (until <= this.now()) {
      this.failed.delete(index)
      return true
    }
    return false
  }
}
