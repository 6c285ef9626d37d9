import { describe, expect, it } from 'vitest'
import { ChunkAvailability, PeerHoldings, createRandom } from '@codio-chunk/pieces'
import type { PeerChunks } from '@codio-chunk/interface'
import { sequential } from '../src/index.js'

const random = createRandom(1)

function seederOf (n: number): PeerHoldings {
  const peer = new PeerHoldings(n)
  peer.markComplete()
  return peer
}

function pick (availability: ChunkAvailability, peer: PeerChunks, position: number): number | undefined {
  return sequential().pick(availability.view(peer, { position, random }))
}

describe('sequential', () => {
  it('is named sequential', () => {
    expect(sequential().name).toBe('sequential')
  })

  it('picks from the position onwards, skipping requested and completed chunks', () => {
    const availability = new ChunkAvailability(20)
    const seeder = seederOf(20)
    availability.peerJoined(seeder)
    expect(pick(availability, seeder, 0)).toBe(0)
    expect(pick(availability, seeder, 5)).toBe(5)
    availability.markRequested(5)
    expect(pick(availability, seeder, 5)).toBe(6)
    availability.markCompleted(6)
    expect(pick(availability, seeder, 5)).toBe(7)
    availability.markReleased(5)
    expect(pick(availability, seeder, 5)).toBe(5)
  })

  it('skips chunks the peer does not have and wraps around to the start', () => {
    const n = 20
    const availability = new ChunkAvailability(n)
    const peer = new PeerHoldings(n)
    for (const i of [2, 9, 15]) peer.add(i)
    availability.peerJoined(peer)
    expect(pick(availability, peer, 0)).toBe(2)
    expect(pick(availability, peer, 3)).toBe(9)
    expect(pick(availability, peer, 10)).toBe(15)
    expect(pick(availability, peer, 16)).toBe(2)
    availability.markRequested(2)
    expect(pick(availability, peer, 16)).toBe(9)
    availability.markRequested(9)
    availability.markCompleted(15)
    expect(pick(availability, peer, 16)).toBeUndefined()
  })

  it('wraps around in a large content once the end is done', () => {
    const n = 100_000
    const availability = new ChunkAvailability(n)
    const seeder = seederOf(n)
    availability.peerJoined(seeder)
    for (let i = n - 10; i < n; i++) availability.markCompleted(i)
    expect(pick(availability, seeder, n - 10)).toBe(0)
    expect(pick(availability, seeder, n - 11)).toBe(n - 11)
  })

  it('downloads in order from a seeder', () => {
    const n = 50
    const availability = new ChunkAvailability(n)
    const seeder = seederOf(n)
    availability.peerJoined(seeder)
    const order: number[] = []
    for (let index = pick(availability, seeder, 30); index !== undefined; index = pick(availability, seeder, 30)) {
      order.push(index)
      availability.markCompleted(index)
    }
    expect(order).toEqual([...Array.from({ length: 20 }, (_, k) => 30 + k), ...Array.from({ length: 30 }, (_, k) => k)])
  })
})
