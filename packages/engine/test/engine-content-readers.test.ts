import { describe, expect, it } from 'vitest'
import { Bitfield } from '@codio-chunk/interface'
import { ChunkAvailability, PeerHoldings } from '@codio-chunk/pieces'
import { ContentReaders, MAX_PICK_WINDOWS, READ_WINDOW_CHUNKS } from '../src/download/content-readers.js'

const COUNT = 1000

function seeder (): PeerHoldings {
  const holdings = new PeerHoldings(COUNT)
  holdings.markComplete()
  return holdings
}

describe('ContentReaders', () => {
  it('picks the chunk at a reader\'s position first, then the next ones of its window, never past it', () => {
    const have = new Bitfield(COUNT)
    const readers = new ContentReaders(have, () => {})
    const availability = new ChunkAvailability(COUNT, have)
    const peer = seeder()
    availability.peerJoined(peer)
    readers.open(500, 999)
    const picked: number[] = []
    for (let k = 0; k < READ_WINDOW_CHUNKS + 5; k++) {
      const index = readers.pick(availability.candidates, peer)
      if (index === undefined) break
      picked.push(index)
      availability.markRequested(index)
    }
    expect(picked).toEqual(Array.from({ length: READ_WINDOW_CHUNKS }, (_, i) => 500 + i))
  })

  it('stops at the reader\'s last chunk and skips chunks the peer lacks or that are held', () => {
    const have = new Bitfield(COUNT)
    have.set(11)
    const availability = new ChunkAvailability(COUNT, have)
    const peer = new PeerHoldings(COUNT)
    for (const i of [10, 11, 12, 14, 40]) peer.add(i)
    availability.peerJoined(peer)
    const readers = new ContentReaders(have, () => {})
    readers.open(9, 14)
    const picked: number[] = []
    for (let index = readers.pick(availability.candidates, peer); index !== undefined; index = readers.pick(availability.candidates, peer)) {
      picked.push(index)
      availability.markRequested(index)
    }
    expect(picked).toEqual([10, 12, 14])
  })

  it('serves readers at different places in turn (nearest to its own position first), not the lowest one only', () => {
    const have = new Bitfield(COUNT)
    const availability = new ChunkAvailability(COUNT, have)
    const peer = seeder()
    availability.peerJoined(peer)
    const readers = new ContentReaders(have, () => {})
    readers.open(0, 999)
    readers.open(700, 999)
    const picked: number[] = []
    for (let k = 0; k < 6; k++) {
      const index = readers.pick(availability.candidates, peer) as number
      picked.push(index)
      availability.markRequested(index)
    }
    expect(picked).toEqual([0, 700, 1, 701, 2, 702])
  })

  it('looks at no more than MAX_PICK_WINDOWS readers per pick', () => {
    const have = new Bitfield(COUNT)
    const availability = new ChunkAvailability(COUNT, have)
    const peer = new PeerHoldings(COUNT)
    peer.add(999)
    availability.peerJoined(peer)
    const readers = new ContentReaders(have, () => {})
    for (let i = 0; i < MAX_PICK_WINDOWS; i++) readers.open(0, 10)
    readers.open(990, 999)
    expect(readers.pick(availability.candidates, peer)).toBe(undefined)
  })

  it('wakes a waiting reader when its chunk is stored, fails it with the download\'s error, and reports the earliest position', async () => {
    const have = new Bitfield(8)
    const moves: Array<number | undefined> = []
    const readers: ContentReaders = new ContentReaders(have, () => { moves.push(readers.earliest()) })
    const a = readers.open(2, 7)
    const b = readers.open(5, 7)
    expect(readers.earliest()).toBe(2)
    let woke = false
    const waiting = a.reach(3).then(() => { woke = true })
    readers.stored(2)
    await Promise.resolve()
    expect(woke).toBe(false)
    have.set(3)
    readers.stored(3)
    await waiting
    expect(woke).toBe(true)
    const failed = b.reach(6)
    b.ended(new Error('no providers'))
    await expect(failed).rejects.toThrow('no providers')
    await expect(b.reach(7)).rejects.toThrow('no providers')
    a.close()
    b.close()
    expect(readers.size).toBe(0)
    expect(moves.at(-1)).toBe(undefined)
  })

  it('rejects a wait with AbortError when its signal fires, and resolves at once for a held chunk', async () => {
    const have = new Bitfield(4)
    have.set(0)
    const readers = new ContentReaders(have, () => {})
    const reader = readers.open(0, 3)
    await reader.reach(0)
    const controller = new AbortController()
    const waiting = reader.reach(1, controller.signal)
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' })
    reader.close()
  })
})
