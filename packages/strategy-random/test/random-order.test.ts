import { describe, expect, it } from 'vitest'
import { ChunkAvailability, PeerHoldings, createRandom } from '@codio-chunk/pieces'
import { random, randomOrder } from '../src/index.js'

describe('randomOrder', () => {
  it('is named random, and random() is the same factory', () => {
    expect(randomOrder().name).toBe('random')
    expect(random).toBe(randomOrder)
  })

  it('covers every candidate a seeder has, about evenly', () => {
    const n = 50
    const availability = new ChunkAvailability(n)
    const seeder = new PeerHoldings(n)
    seeder.markComplete()
    availability.peerJoined(seeder)
    const strategy = randomOrder()
    const rng = createRandom(3)
    const hits = new Array<number>(n).fill(0)
    for (let t = 0; t < 5000; t++) {
      const index = strategy.pick(availability.view(seeder, { random: rng }))
      if (index !== undefined) hits[index]++
    }
    // 100 expected per chunk.
    expect(Math.min(...hits)).toBeGreaterThan(50)
    expect(Math.max(...hits)).toBeLessThan(160)
  })

  it('covers the few candidates a partial peer has among many', () => {
    const n = 1000
    const availability = new ChunkAvailability(n)
    const peer = new PeerHoldings(n)
    const held = [3, 97, 250, 251, 500, 640, 777, 901, 998, 999]
    for (const i of held) peer.add(i)
    availability.peerJoined(peer)
    availability.markRequested(251)
    const strategy = randomOrder()
    const rng = createRandom(4)
    const hits = new Map<number, number>()
    for (let t = 0; t < 2000; t++) {
      const index = strategy.pick(availability.view(peer, { random: rng }))
      expect(index).not.toBeUndefined()
      hits.set(index!, (hits.get(index!) ?? 0) + 1)
    }
    expect([...hits.keys()].sort((a, b) => a - b)).toEqual(held.filter(i => i !== 251))
    // 222 expected per chunk: a scan that favours chunks after long gaps would miss this by far.
    expect(Math.min(...hits.values())).toBeGreaterThan(150)
  })

  it('picks differently for different seeds and the same for the same seed', () => {
    const n = 10_000
    const availability = new ChunkAvailability(n)
    const seeder = new PeerHoldings(n)
    seeder.markComplete()
    availability.peerJoined(seeder)
    const picks = (seed: number): Array<number | undefined> => {
      const rng = createRandom(seed)
      return Array.from({ length: 20 }, () => randomOrder().pick(availability.view(seeder, { random: rng })))
    }
    expect(picks(1)).toEqual(picks(1))
    expect(picks(1)).not.toEqual(picks(2))
  })
})
