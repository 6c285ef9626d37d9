import type { PeerChunks } from '../contracts/strategy.js'
import type { PeerHoldings } from '../pieces/peer-chunks.js'

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
