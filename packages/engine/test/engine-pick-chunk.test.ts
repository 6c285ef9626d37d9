import { describe, expect, it } from 'vitest'
import { ChunkAvailability } from '@codio-chunk/pieces'
import { PeerHoldings } from '@codio-chunk/pieces'
import { pickChunk } from '../src/download/pick-chunk.js'
import type { Strategy } from '@codio-chunk/interface'

function setup (strategy: Strategy): { pick: () => number | undefined, errors: string[], availability: ChunkAvailability } {
  const availability = new ChunkAvailability(8)
  const holdings = new PeerHoldings(8)
  for (const i of [2, 5]) holdings.add(i)
  availability.peerJoined(holdings)
  const errors: string[] = []
  const log = Object.assign(() => {}, { error: (format: string) => { errors.push(format) }, enabled: false })
  const ctx = { strategy, log }
  return { pick: () => pickChunk(ctx, availability, holdings, { position: 0, random: () => 0.5 }), errors, availability }
}

describe('pickChunk', () => {
  it('returns the strategy\'s choice when it is a candidate the peer has', () => {
    const { pick, errors } = setup({ name: 'fifth', pick: () => 5 })
    expect(pick()).toBe(5)
    expect(errors).toEqual([])
  })

  it('overrules a strategy that throws or picks a chunk the peer lacks, with rarest-first', () => {
    const throwing = setup({ name: 'broken', pick: () => { throw new Error('bug') } })
    expect([2, 5]).toContain(throwing.pick())
    expect(throwing.errors[0]).toMatch(/threw/)
    const wrong = setup({ name: 'wrong', pick: () => 3 })
    expect([2, 5]).toContain(wrong.pick())
    expect(wrong.errors[0]).toMatch(/not a candidate/)
  })

  it('asks nothing when no candidate is left, and passes on the strategy\'s "none"', () => {
    const none = setup({ name: 'none', pick: () => undefined })
    expect(none.pick()).toBe(undefined)
    const { pick, availability } = setup({ name: 'any', pick: () => { throw new Error('not called') } })
    for (let i = 0; i < 8; i++) availability.markRequested(i)
    expect(pick()).toBe(undefined)
  })
})
