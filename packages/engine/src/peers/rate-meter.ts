/** A clock in milliseconds; injectable so tests need no sleeps. */
export type Clock = () => number

export const systemClock: Clock = () => performance.now()

/**
 * Bytes per second over a sliding window (default 5 s), kept in fixed time buckets so adding and
 * reading are O(1) amortised. Also keeps the lifetime total.
 *
 * @example
 * ```ts
 * const meter = new RateMeter()
 * meter.add(262144)
 * meter.rate()   // bytes per second over the last few seconds
 * meter.total    // 262144
 * ```
 */
export class RateMeter {
  /** All bytes ever added. */
  total = 0
  private readonly bucketMs: number
  private readonly buckets: Float64Array
  private readonly clock: Clock
  private readonly started: number
  private current: number
  private windowSum = 0

  constructor (options: { windowMs?: number, buckets?: number, clock?: Clock } = {}) {
    const windowMs = options.windowMs ?? 5000
    const count = options.buckets ?? 10
    this.bucketMs = windowMs / count
    this.buckets = new Float64Array(count)
    this.clock = options.clock ?? systemClock
    this.started = this.clock()
    this.current = Math.floor(this.started / this.bucketMs)
  }

  add (bytes: number): void {
    this.advance()
    this.buckets[this.current % this.buckets.length] += bytes
    this.windowSum += bytes
    this.total += bytes
  }

  /** Bytes per second over the window (or over the meter's lifetime if that is shorter). */
  rate (): number {
    this.advance()
    const now = this.clock()
    const windowMs = this.bucketMs * this.buckets.length
    const span = Math.min(windowMs, Math.max(now - this.started, this.bucketMs))
    return this.windowSum * 1000 / span
  }

  private advance (): void {
    const bucket = Math.floor(this.clock() / this.bucketMs)
    if (bucket === this.current) return
    const steps = Math.min(bucket - this.current, this.buckets.length)
    for (let i = 1; i <= steps; i++) {
      const slot = (this.current + i) % this.buckets.length
      this.windowSum -= this.buckets[slot]
      this.buckets[slot] = 0
    }
    if (this.windowSum < 1e-9) this.windowSum = 0
    this.current = bucket
  }
}
