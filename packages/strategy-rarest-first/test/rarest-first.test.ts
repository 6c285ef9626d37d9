import { describe, expect, it } from 'vitest'
import { Bitfield, InvalidConfigError } from '@codio-chunk/interface'
import { ChunkAvailability, PeerHoldings, createRandom } from '@codio-chunk/pieces'
import type { PeerChunks, Strategy } from '@codio-chunk/interface'
import { rarestFirst } from '../src/index.js'

function holding (n: number, indices: Iterable<number>): PeerHoldings {
  const peer = new PeerHoldings(n)
  for (const i of indices) peer.add(i)
  return peer
}

function range (from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k)
}

/**
 * Ten chunks: a seeder, and partial peers holding 0..8, 0..5 and 0..2, so availability is
 * 4 for 0-2, 3 for 3-5, 2 for 6-8 and 1 for chunk 9.
 */
function ladder (): { availability: ChunkAvailability, seeder: PeerHoldings, nine: PeerHoldings, six: PeerHoldings, three: PeerHoldings } {
  const n = 10
  const availability = new ChunkAvailability(n)
  const seeder = new PeerHoldings(n)
  seeder.markComplete()
  const nine = holding(n, range(0, 9))
  const six = holding(n, range(0, 6))
  const three = holding(n, range(0, 3))
  for (const peer of [seeder, nine, six, three]) availability.peerJoined(peer)
  return { availability, seeder, nine, six, three }
}

function picksOver (strategy: Strategy, availability: ChunkAvailability, peer: PeerChunks, seeds: number): Set<number | undefined> {
  const seen = new Set<number | undefined>()
  for (let seed = 0; seed < seeds; seed++) seen.add(strategy.pick(availability.view(peer, { random: createRandom(seed) })))
  return seen
}

describe('rarestFirst', () => {
  it('is named rarest-first and validates its options', () => {
    expect(rarestFirst().name).toBe('rarest-first')
    expect(() => rarestFirst({ randomFirst: -1 })).toThrow(InvalidConfigError)
    expect(() => rarestFirst({ randomFirst: Number.NaN })).toThrow(InvalidConfigError)
  })

  it('picks the rarest candidate, breaking ties at random', () => {
    const { availability, seeder, nine } = ladder()
    const strategy = rarestFirst({ randomFirst: 0 })
    expect(picksOver(strategy, availability, seeder, 20)).toEqual(new Set([9]))
    expect(picksOver(strategy, availability, nine, 60)).toEqual(new Set([6, 7, 8]))
    availability.markRequested(9)
    expect(picksOver(strategy, availability, seeder, 60)).toEqual(new Set([6, 7, 8]))
  })

  it('picks the rarest among the chunks the peer has, not the rarest overall', () => {
    const { availability, six, three } = ladder()
    const strategy = rarestFirst({ randomFirst: 0 })
    expect(picksOver(strategy, availability, six, 60)).toEqual(new Set([3, 4, 5]))
    expect(picksOver(strategy, availability, three, 60)).toEqual(new Set([0, 1, 2]))
    for (const i of [0, 1, 2]) availability.markCompleted(i)
    expect(picksOver(strategy, availability, three, 10)).toEqual(new Set([undefined]))
  })

  it('follows availability as haves arrive and peers leave', () => {
    const { availability, seeder, nine, six } = ladder()
    const strategy = rarestFirst({ randomFirst: 0 })
    nine.add(9)
    availability.peerHas(nine, 9)
    expect(picksOver(strategy, availability, seeder, 80)).toEqual(new Set([6, 7, 8, 9]))
    availability.peerLeft(six)
    // 3..5 drop to availability 2 as well.
    expect(picksOver(strategy, availability, seeder, 200)).toEqual(new Set([3, 4, 5, 6, 7, 8, 9]))
  })

  it('picks at random until randomFirst chunks are completed', () => {
    const { availability, seeder } = ladder()
    const strategy = rarestFirst({ randomFirst: 2 })
    const early = picksOver(strategy, availability, seeder, 100)
    expect(early.size).toBeGreaterThan(5)
    availability.markCompleted(0)
    expect(picksOver(strategy, availability, seeder, 100).size).toBeGreaterThan(5)
    availability.markCompleted(1)
    expect(picksOver(strategy, availability, seeder, 50)).toEqual(new Set([9]))
    // The default waits for 4 chunks.
    expect(picksOver(rarestFirst(), availability, seeder, 100).size).toBeGreaterThan(5)
  })

  it('always picks a chunk of minimal availability among those a partial peer has', () => {
    const n = 2000
    const random = createRandom(5)
    const completed = new Bitfield(n)
    for (let i = 0; i < n; i++) if (random() < 0.1) completed.set(i)
    const availability = new ChunkAvailability(n, completed)
    const peers = Array.from({ length: 8 }, () => {
      const density = random()
      return holding(n, range(0, n).filter(() => random() < density))
    })
    for (const peer of peers) availability.peerJoined(peer)
    const strategy = rarestFirst({ randomFirst: 0 })
    const mismatches: string[] = []
    for (let step = 0; step < 300; step++) {
      const peer = peers[step % peers.length]
      const index = strategy.pick(availability.view(peer, { random }))
      let best = Infinity
      for (let i = availability.candidates.nextFrom(0); i !== -1; i = availability.candidates.nextFrom(i + 1)) {
        if (peer.has(i)) best = Math.min(best, availability.availability(i))
      }
      if (index === undefined) {
        if (best !== Infinity) mismatches.push(`step ${step}: nothing picked, but availability ${best} was there`)
        continue
      }
      if (availability.availability(index) !== best) mismatches.push(`step ${step}: picked availability ${availability.availability(index)}, best ${best}`)
      availability.markRequested(index)
    }
    expect(mismatches).toEqual([])
  })
})

describe('rarestFirst with seeders in the swarm', () => {
  it('gives a partial peer its rarest chunk without looking at chunks only seeders have', () => {
    const n = 100_000
    const availability = new ChunkAvailability(n)
    const seeder = new PeerHoldings(n)
    seeder.markComplete()
    availability.peerJoined(seeder)
    // The partial peer holds 10 chunks at the end; every other chunk is held by the seeder alone.
    const partial = holding(n, range(n - 10, n))
    availability.peerJoined(partial)
    let looked = 0
    const counting: PeerChunks = {
      complete: false,
      count: partial.count,
      has: (i) => { looked++; return partial.has(i) }
    }
    const strategy = rarestFirst({ randomFirst: 0 })
    const pick = strategy.pick(availability.view(counting, { random: createRandom(1) }))
    expect(pick).toBeGreaterThanOrEqual(n - 10)
    // Only the peer's own bucket was examined, not the 99 990 seeder-only chunks.
    expect(looked).toBeLessThanOrEqual(10)
  })

  it('still asks a seeder that has excluded chunks for a seeder-only chunk', () => {
    const n = 8
    const availability = new ChunkAvailability(n)
    const seeder = new PeerHoldings(n)
    seeder.markComplete()
    availability.peerJoined(seeder)
    // The engine hides chunk 0 from this seeder (it failed there once): it is then not "complete".
    const view: PeerChunks = { complete: false, count: n, has: (i) => i !== 0 }
    const pick = rarestFirst({ randomFirst: 0 }).pick(availability.view(view, { random: createRandom(2) }))
    expect(pick).toBeDefined()
    expect(pick).not.toBe(0)
  })
})
