import { describe, expect, it } from 'vitest'
import { RateMeter } from '../src/index.js'

describe('RateMeter', () => {
  it('measures bytes per second over a sliding window with an injected clock', () => {
    let now = 10_000
    const meter = new RateMeter({ windowMs: 5000, buckets: 10, clock: () => now })
    meter.add(1000)
    now += 1000
    meter.add(1000)
    // 2000 bytes over the 1 s the meter has existed.
    expect(meter.rate()).toBeCloseTo(2000, 5)
    now += 4000
    meter.add(3000)
    // The window covers the last ten 500 ms buckets: the first 1000 bytes (5 s ago) fell out.
    expect(meter.rate()).toBeCloseTo(4000 / 5, 5)
    now += 10_000
    expect(meter.rate()).toBe(0)
    expect(meter.total).toBe(5000)
  })
})
