import { AbortError, InvalidConfigError, abortError } from '@codio-chunk/interface'
import { systemClock, type Clock } from '../peers/rate-meter.js'

/** Settings of a {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Bytes per second; 0 means unlimited (every take passes at once). */
  rate: number
  /**
   * Most bytes that may pass at once after an idle period. Default: {@link defaultBurst} of the
   * rate (100 ms of traffic, at least 64 KiB), kept in step with `setRate()` unless given here.
   */
  burst?: number
  /** Clock in milliseconds (tests inject one). Default: `performance.now()`. */
  clock?: Clock
}

/** Smallest default burst: a quarter of a default 256 KiB chunk. */
const MIN_BURST = 64 * 1024
/** Default burst, as seconds of traffic at the configured rate. */
const BURST_SECONDS = 0.1
/** Slack for floating-point refills, in bytes. */
const EPSILON = 1e-6

/**
 * The default burst for a rate: 100 ms of traffic, at least 64 KiB. Short enough that the rate
 * holds over fractions of a second; takes larger than the burst (chunks are 256 KiB by default and
 * up to 4 MiB) still pass, by borrowing (see {@link TokenBucket}).
 *
 * @example
 * ```ts
 * import { defaultBurst } from '@codio-chunk/core'
 * defaultBurst(4 * 1024 * 1024)   // 419430.4: 100 ms at 4 MiB/s
 * defaultBurst(100_000)           // 65536
 * ```
 */
export function defaultBurst (rate: number): number {
  return Math.max(rate * BURST_SECONDS, MIN_BURST)
}

interface Waiter {
  readonly bytes: number
  readonly resolve: () => void
  readonly reject: (err: Error) => void
  readonly signal?: AbortSignal
  onAbort?: () => void
}

function checkRate (rate: number, burst: number | undefined): void {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) {
    throw new InvalidConfigError(`A rate limit must be a non-negative number of bytes per second (0 for unlimited), got ${String(rate)}`)
  }
  if (burst !== undefined && (typeof burst !== 'number' || !Number.isFinite(burst) || burst <= 0)) {
    throw new InvalidConfigError(`A rate limit's burst must be a positive number of bytes, got ${String(burst)}`)
  }
}

function checkBytes (bytes: number): void {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) {
    throw new RangeError(`A rate-limited take needs a non-negative finite byte count, got ${String(bytes)}`)
  }
}

/**
 * A token bucket that limits bytes per second across everything that shares it (e.g. all
 * connections of a node). Tokens refill at `rate` up to `burst`.
 *
 * - `tryTake(bytes)` takes at once or returns false, without allocating: with rate 0 (unlimited)
 *   it is one comparison.
 * - `take(bytes, { signal })` resolves when the bytes may pass. Waiters are served strictly in
 *   order (a `tryTake` never jumps the queue), so one busy caller cannot starve the others.
 * - A take larger than the burst waits for a full bucket and then leaves it in debt, which later
 *   takes wait out: it passes instead of deadlocking, and the long-run rate still holds. Over any
 *   interval of `t` seconds at most `rate × t + max(burst, largest take)` bytes pass.
 * - At most one timer runs, for the head waiter; `close()` rejects every waiter and stops it.
 *
 * @example
 * ```ts
 * import { TokenBucket } from '@codio-chunk/core'
 * const upload = new TokenBucket({ rate: 2_000_000 })   // 2 MB/s, burst 200 kB
 * if (!upload.tryTake(262144)) await upload.take(262144, { signal: AbortSignal.timeout(5000) })
 * // ... send the 262144 bytes ...
 * upload.setRate(0)   // unlimited from now on: waiters are released
 * upload.close()
 * ```
 */
export class TokenBucket {
  private rateValue: number
  private burstValue: number
  private fixedBurst: number | undefined
  private tokens: number
  private last: number
  private readonly clock: Clock
  private readonly waiters: Waiter[] = []
  private timer?: ReturnType<typeof setTimeout>
  private closed = false

  constructor (options: TokenBucketOptions) {
    checkRate(options.rate, options.burst)
    this.clock = options.clock ?? systemClock
    this.rateValue = options.rate
    this.fixedBurst = options.burst
    this.burstValue = options.burst ?? defaultBurst(options.rate)
    this.tokens = this.burstValue
    this.last = this.clock()
  }

  /** Bytes per second; 0 when unlimited. */
  get rate (): number { return this.rateValue }

  /** Most bytes that may pass at once after an idle period. */
  get burst (): number { return this.burstValue }

  /** True when the rate is 0: every take passes at once. */
  get unlimited (): boolean { return this.rateValue === 0 }

  /** Tokens available now (negative while in debt); `Infinity` when unlimited. */
  get available (): number {
    if (this.rateValue === 0) return Number.POSITIVE_INFINITY
    this.refill()
    return this.tokens
  }

  /** Takes waiting in the queue. */
  get pending (): number { return this.waiters.length }

  /**
   * Takes `bytes` now if they may pass: the rate is unlimited, or nobody is waiting and the
   * bucket holds them (for a take larger than the burst: the bucket is full). Never waits.
   * Returns false once the bucket is closed.
   */
  tryTake (bytes: number): boolean {
    if (this.closed) return false
    if (this.rateValue === 0) return true
    checkBytes(bytes)
    if (this.waiters.length > 0) return false
    this.refill()
    if (this.tokens + EPSILON < this.needed(bytes)) return false
    this.tokens -= bytes
    return true
  }

  /**
   * Resolves when `bytes` may pass, after every earlier waiter. Rejects with AbortError when the
   * signal fires (the waiter's place is given up and nothing is taken) or the bucket is closed;
   * RangeError for a negative or non-finite byte count.
   */
  async take (bytes: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options
    if (signal?.aborted === true) throw abortError(signal, 'rate-limited transfer')
    if (this.closed) throw this.closedError()
    if (this.tryTake(bytes)) return
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { bytes, resolve, reject, signal }
      if (signal !== undefined) {
        waiter.onAbort = () => { this.remove(waiter, abortError(signal, 'rate-limited transfer')) }
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      this.waiters.push(waiter)
      if (this.waiters.length === 1) this.pump()
    })
  }

  /**
   * Gives back bytes taken but not used (e.g. the transfer was cancelled after its grant), up to
   * the burst, and serves waiters that now fit.
   */
  refund (bytes: number): void {
    checkBytes(bytes)
    if (this.closed || this.rateValue === 0) return
    this.refill()
    this.tokens = Math.min(this.burstValue, this.tokens + bytes)
    if (this.waiters.length > 0) this.pump()
  }

  /**
   * Changes the rate (bytes per second; 0 = unlimited, which releases every waiter) and, if
   * given, the burst; otherwise the burst follows the rate unless one was set explicitly. Tokens
   * already earned are kept, up to the new burst; leaving unlimited starts with a full bucket.
   * Throws InvalidConfigError for a negative or non-finite rate.
   */
  setRate (rate: number, burst?: number): void {
    checkRate(rate, burst)
    const wasUnlimited = this.rateValue === 0
    this.refill()
    if (burst !== undefined) this.fixedBurst = burst
    this.rateValue = rate
    this.burstValue = this.fixedBurst ?? defaultBurst(rate)
    this.tokens = wasUnlimited ? this.burstValue : Math.min(this.tokens, this.burstValue)
    this.pump()
  }

  /** Rejects every waiter with AbortError and stops the timer; later takes reject, tryTake returns false. */
  close (): void {
    if (this.closed) return
    this.closed = true
    this.stopTimer()
    const waiters = this.waiters.splice(0)
    for (const waiter of waiters) this.settle(waiter, this.closedError())
  }

  /** Tokens the head of the queue needs: the take, or a full bucket for a take larger than the burst. */
  private needed (bytes: number): number {
    return Math.min(bytes, this.burstValue)
  }

  private refill (): void {
    const now = this.clock()
    const elapsed = now - this.last
    this.last = now
    if (elapsed > 0 && this.rateValue > 0 && this.tokens < this.burstValue) {
      this.tokens = Math.min(this.burstValue, this.tokens + elapsed * this.rateValue / 1000)
    }
  }

  /** Serves waiters in order while tokens last, then sets the one timer for the head waiter. */
  private pump (): void {
    this.stopTimer()
    if (this.closed || this.waiters.length === 0) return
    if (this.rateValue === 0) {
      const waiters = this.waiters.splice(0)
      for (const waiter of waiters) this.settle(waiter)
      return
    }
    this.refill()
    while (this.waiters.length > 0) {
      const head = this.waiters[0]
      if (this.tokens + EPSILON < this.needed(head.bytes)) break
      this.waiters.shift()
      this.tokens -= head.bytes
      this.settle(head)
    }
    if (this.waiters.length === 0) return
    const missing = this.needed(this.waiters[0].bytes) - this.tokens
    const delay = Math.max(1, Math.ceil(missing * 1000 / this.rateValue))
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.pump()
    }, delay)
  }

  private remove (waiter: Waiter, error: Error): void {
    const at = this.waiters.indexOf(waiter)
    if (at === -1) return
    this.waiters.splice(at, 1)
    this.settle(waiter, error)
    if (at === 0) this.pump()
  }

  private settle (waiter: Waiter, error?: Error): void {
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort)
    if (error === undefined) waiter.resolve()
    else waiter.reject(error)
  }

  private stopTimer (): void {
    if (this.timer === undefined) return
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private closedError (): AbortError {
    return new AbortError('The rate limiter was closed (its node is stopping); start a new node to transfer again')
  }
}
