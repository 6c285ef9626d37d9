import { describe, expect, it } from 'vitest'
import { BUSY_GRACE, MAX_REDIALS, StallWatch } from '../src/download/stall-watch.js'

function setup (options: { waitingForUnchoke?: boolean } = {}): { watch: StallWatch, log: string[], clock: { now: number }, settle: () => Promise<void> } {
  const log: string[] = []
  const clock = { now: 0 }
  let release: (() => void) | undefined
  const watch = new StallWatch({
    clock: () => clock.now,
    requestTimeout: 30_000,
    redial: async () => {
      log.push(`redial at ${clock.now}`)
      await new Promise<void>((resolve) => { release = resolve })
    },
    redialed: () => { log.push('redialed') },
    waitingForUnchoke: () => options.waitingForUnchoke === true,
    fail: () => { log.push('fail') }
  })
  // Lets the pending redial settle, then waits for its callbacks.
  const settle = async (): Promise<void> => {
    release?.()
    release = undefined
    await new Promise<void>((resolve) => { setImmediate(resolve) })
  }
  return { watch, log, clock, settle }
}

describe('StallWatch', () => {
  it('waits a request timeout (and a grace) while requests are in flight, then redials, and fails when requests never deliver', async () => {
    const { watch, log, clock, settle } = setup()
    for (clock.now = 0; clock.now < 30_000 + BUSY_GRACE; clock.now += 1000) watch.check(clock.now, true)
    expect(log).toEqual([])
    /** Checks every second, requests always in flight, until the watch does something (or 40 s pass). */
    const untilAction = (): void => {
      const before = log.length
      for (const from = clock.now; clock.now < from + 40_000; clock.now += 1000) {
        watch.check(clock.now, true)
        if (log.length > before) return
      }
    }
    for (let round = 0; round < MAX_REDIALS; round++) {
      untilAction()
      expect(log.at(-1)).toMatch(/^redial at/)
      await settle()
    }
    // Requests keep being in flight, but no chunk ever arrives: the download fails.
    untilAction()
    expect(log.at(-1)).toBe('fail')
    expect(clock.now).toBeLessThanOrEqual((MAX_REDIALS + 1) * (30_000 + BUSY_GRACE) + 4000)
  })

  it('never fails a download that keeps making progress, however long it runs', () => {
    const { watch, log, clock } = setup()
    for (clock.now = 0; clock.now < 1_000_000; clock.now += 1000) {
      if (clock.now % 20_000 === 0) watch.progress()
      watch.check(clock.now, true)
    }
    expect(log).toEqual([])
  })

  it('redials after 2 s of idleness, each round waiting longer, then fails', async () => {
    const { watch, log, clock, settle } = setup()
    watch.check(0, false)
    watch.check(1999, false)
    expect(log).toEqual([])
    clock.now = 2000
    watch.check(2000, false)
    expect(log).toEqual(['redial at 2000'])
    watch.check(2500, false) // a redial runs: no second one
    await settle()
    expect(log).toEqual(['redial at 2000', 'redialed'])
    // The idle clock restarted when the redial settled (at 2000); the next round waits 4 s.
    watch.check(5999, false)
    expect(log).toHaveLength(2)
    clock.now = 6000
    watch.check(6000, false)
    expect(log.at(-1)).toBe('redial at 6000')
    await settle()
    clock.now = 12_000
    watch.check(12_000, false)
    await settle()
    expect(log.filter(l => l.startsWith('redial at'))).toHaveLength(MAX_REDIALS)
    clock.now = 20_000
    watch.check(20_000, false)
    expect(log.at(-1)).toBe('fail')
  })

  it('keeps waiting while a peer that choked us may unchoke', async () => {
    const { watch, log, clock, settle } = setup({ waitingForUnchoke: true })
    for (let round = 0; round < MAX_REDIALS; round++) {
      clock.now += 100_000
      watch.check(clock.now, false)
      await settle()
    }
    clock.now += 100_000
    watch.check(clock.now, false)
    expect(log).not.toContain('fail')
  })

  it('starts over after progress, and redials at once when the last peer leaves', async () => {
    const { watch, log, clock, settle } = setup()
    for (let round = 0; round < MAX_REDIALS; round++) {
      clock.now += 100_000
      watch.check(clock.now, false)
      await settle()
    }
    watch.progress()
    watch.peersGone()
    expect(log.at(-1)).toBe(`redial at ${clock.now}`)
    await settle()
    watch.peerJoined()
    watch.check(clock.now + 1, false)
    expect(log.at(-1)).toBe('redialed')
  })
})
