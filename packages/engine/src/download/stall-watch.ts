import type { Clock } from '../peers/rate-meter.js'

/** Redial rounds without progress before a stalled download fails. */
export const MAX_REDIALS = 3

/** What a {@link StallWatch} acts through. */
export interface StallWatchInit {
  clock: Clock
  /** The download's request timeout (ms): how long idleness is tolerated grows from it. */
  requestTimeout: number
  /** Dials the swarm's known addresses again; resolves when the attempts settle. */
  redial(): Promise<void>
  /** The redial attempts settled: ask the peers (old and new) for chunks. */
  redialed(): void
  /** True while a peer that choked us recently may still unchoke us (worth waiting for). */
  waitingForUnchoke(now: number): boolean
  /** Out of redials and nothing to wait for: the download fails. */
  fail(): void
}

/** How much longer than a request timeout a download with requests in flight may go without a chunk. */
export const BUSY_GRACE = 1000

/**
 * Notices a download that makes no progress, whether or not requests are in flight: when no chunk
 * has been stored for a while it redials the swarm's known addresses (up to {@link MAX_REDIALS}
 * rounds without progress), then fails it unless a peer that recently choked us may still unchoke
 * us. "A while" is `requestTimeout + BUSY_GRACE` while requests are in flight (a peer that takes
 * requests and never answers cannot keep a download alive), and 2 s (at most the request timeout),
 * growing each round, while nothing is in flight. So a download with no progress fails after about
 * (MAX_REDIALS + 1) × (requestTimeout + 1 s), plus the redials' dial time.
 *
 * @example
 * ```ts
 * const watch = new StallWatch({ clock, requestTimeout: 30_000, redial, redialed, waitingForUnchoke, fail })
 * watch.progress()                 // a chunk arrived
 * watch.check(clock(), true)       // called periodically; true: requests are in flight
 * ```
 */
export class StallWatch {
  /** Since when no chunk arrived (or the clock last restarted: a peer joined, a redial settled). */
  private quietSince?: number
  private redials = 0
  private redialing = false

  constructor (private readonly init: StallWatchInit) {}

  /** A chunk completed: the redial budget starts over. */
  progress (): void {
    this.quietSince = undefined
    this.redials = 0
  }

  /** A peer joined: the quiet clock restarts (it may have what we need). */
  peerJoined (): void {
    this.quietSince = undefined
  }

  /** The last peer left: redial at once (if the budget allows). */
  peersGone (): void {
    if (this.redials < MAX_REDIALS) this.redial()
  }

  /** Periodic check; `busy` is true while requests are in flight or chunks are being stored. */
  check (now: number, busy: boolean): void {
    this.quietSince ??= now
    const { requestTimeout } = this.init
    const patience = busy ? requestTimeout + BUSY_GRACE : Math.min(requestTimeout, 2000) * (this.redials + 1)
    if (this.redialing || now - this.quietSince < patience) return
    if (this.redials < MAX_REDIALS) {
      this.redial()
      return
    }
    if (!this.init.waitingForUnchoke(now)) this.init.fail()
  }

  /** Tries the known addresses again; the quiet clock restarts when the attempts settle. */
  private redial (): void {
    if (this.redialing) return
    this.redials++
    this.redialing = true
    this.init.redial().catch(() => {}).finally(() => {
      this.redialing = false
      this.quietSince = this.init.clock()
      this.init.redialed()
    })
  }
}
