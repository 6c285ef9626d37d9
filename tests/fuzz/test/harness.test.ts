// The harness itself: a target's budget ending while a case runs must not leave that case running.
import { afterEach, describe, expect, it } from 'vitest'
import { fc, fuzz } from '../src/fuzz.js'

const saved = process.env.CODIO_FUZZ_SECONDS
afterEach(() => {
  if (saved === undefined) delete process.env.CODIO_FUZZ_SECONDS
  else process.env.CODIO_FUZZ_SECONDS = saved
})

describe('fuzz', () => {
  it('returns only once the case running when the budget ends has finished', async () => {
    process.env.CODIO_FUZZ_SECONDS = '0.3'
    let started = 0
    let finished = 0
    // Each case takes 70 ms, so the 300 ms budget ends during one.
    const report = await fuzz('harness-slow-cases', fc.nat(), async () => {
      started++
      await new Promise(resolve => setTimeout(resolve, 70))
      finished++
    })
    expect(started).toBeGreaterThan(1)
    expect(finished).toBe(started)
    expect(report.runs).toBeGreaterThan(0)
  })
})
