import { AbortError } from '@codio-chunk/interface'
import type { ChunkRequest, PeerDownload } from './peer-download.js'
import type { PeerSession } from '../peers/peer-session.js'

/** Most requests for one chunk at once (the original plus endgame duplicates). */
export const ENDGAME_DUPLICATES = 3

/**
 * The chunk requests of one download that are in flight (or reserved while the download limiter
 * has not granted their bytes), by chunk index, with each peer's count kept in its
 * {@link PeerDownload}. Knows nothing about verification or storage: the download decides what a
 * finished or failed request means.
 *
 * @example
 * ```ts
 * const inflight = new InflightRequests((session) => peers.get(session))
 * inflight.add({ index: 7, session }) // true: chunk 7 was not requested before
 * inflight.isRequested(7)             // true
 * ```
 */
export class InflightRequests {
  private readonly byIndex = new Map<number, Set<ChunkRequest>>()

  /** @param peerOf - the bookkeeping of a session still in the download, or undefined */
  constructor (private readonly peerOf: (session: PeerSession) => PeerDownload | undefined) {}

  /** Chunks with at least one request. */
  get size (): number {
    return this.byIndex.size
  }

  /** True if some request for `index` is in flight. */
  isRequested (index: number): boolean {
    return this.byIndex.has(index)
  }

  /** True if `entry` is still one of the requests in flight (not dropped, completed or cancelled). */
  has (entry: ChunkRequest): boolean {
    return this.byIndex.get(entry.index)?.has(entry) === true
  }

  /** Tracks a new request; true if it is the chunk's first (the chunk just became requested). */
  add (entry: ChunkRequest): boolean {
    let set = this.byIndex.get(entry.index)
    const first = set === undefined
    if (set === undefined) this.byIndex.set(entry.index, set = new Set())
    set.add(entry)
    const peer = this.peerOf(entry.session)
    if (peer !== undefined) peer.inflight++
    return first
  }

  /**
   * Forgets a request (its waiting place in the download limiter is given up). Returns true if it
   * was the chunk's last request: nobody else is fetching the chunk any more.
   */
  remove (entry: ChunkRequest): boolean {
    const set = this.byIndex.get(entry.index)
    if (set?.delete(entry) !== true) return false
    entry.waiting?.abort()
    const peer = this.peerOf(entry.session)
    if (peer !== undefined) peer.inflight--
    if (set.size !== 0) return false
    this.byIndex.delete(entry.index)
    return true
  }

  /**
   * Ends every request of one session: each is cancelled (silently) on the wire and removed.
   * Calls `released` for each chunk nobody else is fetching; returns true if there were any.
   */
  removeSession (session: PeerSession, reason: string, released: (index: number) => void): boolean {
    const error = new CancelReason(reason)
    // Deleting entries of a Map or Set while iterating it is safe: they are just not visited.
    for (const set of this.byIndex.values()) {
      for (const entry of set) {
        if (entry.session === session) this.drop(entry, error, released)
      }
    }
    return error.used
  }

  /** Cancels and forgets every request for `index` (its chunk arrived, from one of them or elsewhere); true if there was one. */
  cancelChunk (index: number, reason: string): boolean {
    const set = this.byIndex.get(index)
    if (set === undefined) return false
    this.byIndex.delete(index)
    const error = new CancelReason(reason)
    for (const entry of set) {
      const peer = this.peerOf(entry.session)
      if (peer !== undefined) peer.inflight--
      entry.waiting?.abort()
      if (entry.request !== undefined) entry.session.cancel(entry.request, error.error(), true)
    }
    return true
  }

  /**
   * Cancels and forgets the requests for `index` that `which` selects (e.g. those sent to seeds,
   * once a partial peer has the chunk too), calling `released` if the chunk has no request left.
   * Returns the sessions whose requests were cancelled, so they can be asked for something else.
   */
  cancelWhere (index: number, which: (entry: ChunkRequest) => boolean, reason: string, released: (index: number) => void): PeerSession[] {
    const set = this.byIndex.get(index)
    if (set === undefined) return []
    const sessions: PeerSession[] = []
    const error = new CancelReason(reason)
    for (const entry of set) {
      if (!which(entry)) continue
      sessions.push(entry.session)
      this.drop(entry, error, released)
    }
    return sessions
  }

  /** Cancels one request on the wire (silently) and forgets it; `released` if its chunk has no request left. */
  private drop (entry: ChunkRequest, reason: CancelReason, released: (index: number) => void): void {
    if (entry.request !== undefined) entry.session.cancel(entry.request, reason.error(), true)
    else reason.used = true
    if (this.remove(entry)) released(entry.index)
  }

  /** Cancels and forgets every request (the download ended). */
  cancelAll (reason: string): void {
    const error = new CancelReason(reason)
    for (const set of this.byIndex.values()) {
      for (const entry of set) {
        entry.waiting?.abort()
        if (entry.request !== undefined) entry.session.cancel(entry.request, error.error(), true)
      }
    }
    this.byIndex.clear()
  }

  /**
   * Endgame: a chunk already requested from other peers that `peer` has too, with the fewest
   * requests (fewer than {@link ENDGAME_DUPLICATES}) and none to `session`; undefined if none.
   */
  endgamePick (session: PeerSession, peer: PeerDownload): number | undefined {
    let best: number | undefined
    let bestCount = ENDGAME_DUPLICATES
    for (const [index, set] of this.byIndex) {
      if (set.size >= bestCount || !peer.has(index)) continue
      let mine = false
      for (const request of set) if (request.session === session) { mine = true; break }
      if (mine) continue
      best = index
      bestCount = set.size
      if (bestCount === 1) break
    }
    return best
  }

  /** Calls `expired` for every request sent whose deadline is `now` or earlier (it may remove it). */
  forEachExpired (now: number, expired: (entry: ChunkRequest) => void): void {
    for (const set of this.byIndex.values()) {
      for (const entry of set) {
        if (entry.request !== undefined && entry.request.deadline <= now) expired(entry)
      }
    }
  }
}

/**
 * The AbortError one cancelling call gives every request it ends: made once, when first needed
 * (an Error captures a stack trace, which showed up in profiles of busy swarms where chokes cancel
 * many requests), and `used` once any request was ended.
 */
class CancelReason {
  used = false
  private made: AbortError | undefined
  constructor (private readonly reason: string) {}

  error (): AbortError {
    this.used = true
    this.made ??= new AbortError(this.reason)
    return this.made
  }
}
