/**
 * A deadline for new bytes of a content, as Kubo's `Gateway.RetrievalTimeout`: `signal` fires
 * (with the reason `expired()` gives at that moment) when no progress was made for `timeout` ms.
 * `progress()` restarts it; `pause()` stops it while the client, not the swarm, is the one being
 * waited for, and `resume()` starts it afresh. A `timeout` of 0 never fires.
 *
 * @example
 * ```ts
 * const timer = new RetrievalTimer(30_000, () => new RetrievalTimeoutError('no bytes for 30 s'))
 * for await (const piece of node.streamContent(cid, { signal: timer.signal })) { timer.progress(); … }
 * timer.stop()
 * ```
 */
export class RetrievalTimer {
  private readonly controller = new AbortController()
  private timer?: ReturnType<typeof setTimeout>
  private stopped = false

  constructor (private readonly timeout: number, private readonly expired: () => Error) {
    this.arm()
  }

  /** Fires when the deadline passed. */
  get signal (): AbortSignal {
    return this.controller.signal
  }

  /** Bytes arrived: the deadline starts again. */
  progress (): void {
    this.arm()
  }

  /** The client is being waited for: no deadline meanwhile. */
  pause (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /** The client took the bytes: the deadline starts again. */
  resume (): void {
    this.arm()
  }

  /** The request is over: the deadline never fires. */
  stop (): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private arm (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.stopped || this.timeout === 0 || this.controller.signal.aborted) return
    this.timer = setTimeout(() => { this.controller.abort(this.expired()) }, this.timeout)
    this.timer.unref?.()
  }
}
