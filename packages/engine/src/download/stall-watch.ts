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

/**
 * Notices a download that makes no progress: after a while with nothing in flight it redials the
 * swarm's known addresses (up to {@link MAX_REDIALS} rounds without progress, each waiting longer),
 * then fails it unless a peer that recently choked us may still unchoke us.
 *
 * @example
 * ```ts
 * const watch = new StallWatch({ clock, requestTimeout: 30_000, redial, redialed, waitingForUnchoke, fail })
 * watch.progress()                 // a chunk arrived
 * watch.check(clock(), false)      // called periodically; false: nothing in flight
 * ```
 */
export class StallWatch {
  private idleSince?: number
  private redials = 0
  private redialing = false

  constructor (private readonly init: StallWatchInit) {}

  /** A chunk completed: the redial budget starts over. */
  progress (): void {
    this.idleSince = undefined
    this.redials = 0
  }

  /** A peer joined: the idle clock restarts. */
  peerJoined (): void {
    this.idleSince = undefined
  }

  /** The last peer left: redial at once (if the budget allows). */
  peersGone (): void {
    if (this.redials < MAX_REDIALS) this.redial()
  }

  /** Periodic check; `busy` is true while requests are in flight or chunks are being stored. */
  check (now: number, busy: boolean): void {
    if (busy) {
      this.idleSince = undefined
      return
    }
    this.idleSince ??= now
    if (now - this.idleSince < Math.min(this.init.requestTimeout, 2000) * (this.redials + 1)) return
    if (this.redials < MAX_REDIALS) {
      this.redial()
      return
    }
    if (!this.init.waitingForUnchoke(now)) this.init.fail()
  }

  /** Tries the known addresses again; the idle clock restarts when the attempts settle. */
  private redial (): void {
    if (this.redialing) return
    this.redials++
    this.redialing = true
    this.init.redial().catch(() => {}).finally(() => {
      this.redialing = false
      this.idleSince = this.init.clock()
      this.init.redialed()
    })
  }
}
