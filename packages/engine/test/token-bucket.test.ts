import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AbortError, InvalidConfigError } from '@codio-chunk/interface'
import { TokenBucket, defaultBurst } from '../src/index.js'

/** Fake timers drive both the bucket's timer and its clock (Date.now is faked too). */
const clock = (): number => Date.now()

/** Tracks whether a promise has settled, and how. */
function track (promise: Promise<void>): { state: 'pending' | 'resolved' | 'rejected', error?: unknown } {
  const out: { state: 'pending' | 'resolved' | 'rejected', error?: unknown } = { state: 'pending' }
  promise.then(() => { out.state = 'resolved' }, (err: unknown) => { out.state = 'rejected'; out.error = err })
  return out
}

beforeEach(() => { vi.useFakeTimers() })
afterEach(() => { vi.useRealTimers() })

describe('TokenBucket', () => {
  it('holds the rate: ten 100-byte takes at 1000 B/s with a 100-byte burst take 900 ms', async () => {
    const bucket = new TokenBucket({ rate: 1000, burst: 100, clock })
    const start = Date.now()
    const done: number[] = []
    const all = Array.from({ length: 10 }, async () => { await bucket.take(100); done.push(Date.now() - start) })
    await vi.advanceTimersByTimeAsync(2000)
    await Promise.all(all)
    // The first passes on the burst, each next one after 100 ms of refill.
    expect(done).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900])
    bucket.close()
  })

  it('lets a burst through after an idle period, but no more than the burst', async () => {
    const bucket = new TokenBucket({ rate: 1000, burst: 500, clock })
    expect(bucket.tryTake(500)).toBe(true)
    expect(bucket.tryTake(1)).toBe(false)
    await vi.advanceTimersByTimeAsync(10_000)
    // Ten idle seconds earn 10 000 tokens, capped at the burst.
    expect(bucket.available).toBeCloseTo(500, 6)
    expect(bucket.tryTake(300)).toBe(true)
    expect(bucket.tryTake(200)).toBe(true)
    expect(bucket.tryTake(1)).toBe(false)
    bucket.close()
  })

  it('serves waiters first in, first out, and tryTake never jumps the queue', async () => {
    const bucket = new TokenBucket({ rate: 1000, burst: 300, clock })
    expect(bucket.tryTake(300)).toBe(true)
    const order: string[] = []
    const a = bucket.take(300).then(() => { order.push('a') })
    const b = bucket.take(100).then(() => { order.push('b') })
    const c = bucket.take(100).then(() => { order.push('c') })
    expect(bucket.pending).toBe(3)
    // One timer at most, for the head waiter.
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(150)
    // 150 tokens would fit b, but a is ahead of it; a late tryTake does not pass either.
    expect(order).toEqual([])
    expect(bucket.tryTake(100)).toBe(false)
    await vi.advanceTimersByTimeAsync(150)
    expect(order).toEqual(['a'])
    await vi.advanceTimersByTimeAsync(200)
    await Promise.all([a, b, c])
    expect(order).toEqual(['a', 'b', 'c'])
    expect(vi.getTimerCount()).toBe(0)
    bucket.close()
  })

  it('lets a take larger than the burst through on a full bucket and makes later takes wait out the debt', async () => {
    const bucket = new TokenBucket({ rate: 1000, burst: 100, clock })
    const start = Date.now()
    await bucket.take(1000)
    expect(Date.now() - start).toBe(0)
    expect(bucket.available).toBeCloseTo(-900, 6)
    const next = track(bucket.take(100))
    await vi.advanceTimersByTimeAsync(999)
    expect(next.state).toBe('pending')
    await vi.advanceTimersByTimeAsync(1)
    expect(next.state).toBe('resolved')
    // A second oversized take waits for a full bucket again, then borrows.
    const big = track(bucket.take(5000))
    await vi.advanceTimersByTimeAsync(99)
    expect(big.state).toBe('pending')
    await vi.advanceTimersByTimeAsync(1)
    expect(big.state).toBe('resolved')
    bucket.close()
  })

  it('gives up a waiter\'s place when its signal fires, and takes nothing for it', async () => {
    const bucket = new TokenBucket({ rate: 1000, burst: 100, clock })
    expect(bucket.tryTake(100)).toBe(true)
    const controller = new AbortController()
    const first = track(bucket.take(100, { signal: controller.signal }))
    const second = track(bucket.take(100))
    controller.abort()
    await vi.advanceTimersByTimeAsync(0)
    expect(first.state).toBe('rejected')
    expect(first.error).toBeInstanceOf(AbortError)
    expect(bucket.pending).toBe(1)
    // The second now heads the queue and passes after 100 ms, not 200.
    await vi.advanceTimersByTimeAsync(100)
    expect(second.state).toBe('resolved')
    await expect(bucket.take(1, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError)
    expect(bucket.pending).toBe(0)
    bucket.close()
  })

  it('releases every waiter on setRate(0) and starts full when limited again', async () => {
    const bucket = new TokenBucket({ rate: 1000, burst: 100, clock })
    expect(bucket.tryTake(100)).toBe(true)
    const waiters = [track(bucket.take(5000)), track(bucket.take(100)), track(bucket.take(100))]
    bucket.setRate(0)
    await vi.advanceTimersByTimeAsync(0)
    expect(waiters.map(w => w.state)).toEqual(['resolved', 'resolved', 'resolved'])
    expect(bucket.unlimited).toBe(true)
    expect(bucket.tryTake(1e12)).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    bucket.setRate(2000)
    // Without an explicit burst option the burst would follow the rate; this one was set to 100.
    expect(bucket.burst).toBe(100)
    expect(bucket.available).toBeCloseTo(100, 6)
    const auto = new TokenBucket({ rate: 1000, clock })
    expect(auto.burst).toBe(defaultBurst(1000))
    auto.setRate(10 * 1024 * 1024)
    expect(auto.burst).toBeCloseTo(1024 * 1024, 6)
    auto.close()
    bucket.close()
  })

  it('refunds unused bytes to the bucket and serves waiters that now fit', async () => {
    const bucket = new TokenBucket({ rate: 1000, burst: 100, clock })
    expect(bucket.tryTake(100)).toBe(true)
    const waiter = track(bucket.take(100))
    bucket.refund(100)
    await vi.advanceTimersByTimeAsync(0)
    expect(waiter.state).toBe('resolved')
    bucket.refund(1e9)
    expect(bucket.available).toBeCloseTo(100, 6)
    bucket.close()
  })

  it('rejects waiters on close, leaves no timer, and refuses later takes', async () => {
    const bucket = new TokenBucket({ rate: 1000, burst: 100, clock })
    expect(bucket.tryTake(100)).toBe(true)
    const waiters = [track(bucket.take(100)), track(bucket.take(100))]
    expect(vi.getTimerCount()).toBe(1)
    bucket.close()
    await vi.advanceTimersByTimeAsync(0)
    expect(vi.getTimerCount()).toBe(0)
    for (const w of waiters) {
      expect(w.state).toBe('rejected')
      expect(w.error).toBeInstanceOf(AbortError)
    }
    await expect(bucket.take(1)).rejects.toThrow(/closed/)
    expect(bucket.tryTake(1)).toBe(false)
  })

  it('passes everything at once when unlimited, and validates its inputs', async () => {
    const bucket = new TokenBucket({ rate: 0, clock })
    for (let i = 0; i < 100; i++) expect(bucket.tryTake(4 * 1024 * 1024)).toBe(true)
    await bucket.take(1e9)
    expect(bucket.available).toBe(Number.POSITIVE_INFINITY)
    expect(vi.getTimerCount()).toBe(0)
    expect(() => new TokenBucket({ rate: -1 })).toThrow(InvalidConfigError)
    expect(() => new TokenBucket({ rate: Number.NaN })).toThrow(/non-negative/)
    expect(() => new TokenBucket({ rate: 1000, burst: 0 })).toThrow(/burst/)
    const limited = new TokenBucket({ rate: 1000, clock })
    expect(() => limited.tryTake(-1)).toThrow(RangeError)
    await expect(limited.take(Number.POSITIVE_INFINITY)).rejects.toThrow(RangeError)
    expect(() => limited.setRate(Number.POSITIVE_INFINITY)).toThrow(InvalidConfigError)
    expect(defaultBurst(4 * 1024 * 1024)).toBeCloseTo(4 * 1024 * 1024 * 0.1, 6)
    expect(defaultBurst(1000)).toBe(64 * 1024)
    limited.close()
    bucket.close()
  })
})
