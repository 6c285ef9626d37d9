import { describe, expect, it } from 'vitest'
import { sampleHeld } from '@codio-chunk/interface'
import { EMPTY_CHUNK_SET, IndexedChunkSet } from '../src/chunk-set.js'
import { PeerHoldings } from '../src/peer-chunks.js'
import { createRandom } from '../src/availability.js'

/** The smallest member of `model` that is `>= from`, or -1. */
function naiveNext (model: Set<number>, capacity: number, from: number): number {
  for (let i = Math.max(0, from); i < capacity; i++) if (model.has(i)) return i
  return -1
}

function checkAgainst (set: IndexedChunkSet, model: Set<number>): void {
  expect(set.size).toBe(model.size)
  const members: number[] = []
  for (let k = 0; k < set.size; k++) members.push(set.at(k))
  expect(members.sort((a, b) => a - b)).toEqual([...model].sort((a, b) => a - b))
  expect([...set]).toEqual([...model].sort((a, b) => a - b))
}

describe('IndexedChunkSet', () => {
  it('matches a Set under random adds and deletes, for capacities around word boundaries', () => {
    const random = createRandom(7)
    for (const capacity of [1, 31, 32, 33, 64, 1023, 1024, 1025, 3000]) {
      const set = new IndexedChunkSet(capacity)
      const model = new Set<number>()
      for (let op = 0; op < 4000; op++) {
        const i = Math.floor(random() * capacity)
        if (random() < 0.55) {
          expect(set.add(i)).toBe(!model.has(i))
          model.add(i)
        } else {
          expect(set.delete(i)).toBe(model.has(i))
          model.delete(i)
        }
        const from = Math.floor(random() * (capacity + 2)) - 1
        if (set.has(i) !== model.has(i) || set.nextFrom(from) !== naiveNext(model, capacity, from)) {
          expect({ op, i, from, has: set.has(i), next: set.nextFrom(from) })
            .toEqual({ op, i, from, has: model.has(i), next: naiveNext(model, capacity, from) })
        }
      }
      checkAgainst(set, model)
    }
  })

  it('starts full or empty', () => {
    const full = new IndexedChunkSet(70, 'full')
    expect(full.size).toBe(70)
    expect(full.has(69)).toBe(true)
    expect(full.has(70)).toBe(false)
    expect(full.nextFrom(69)).toBe(69)
    expect(full.nextFrom(70)).toBe(-1)
    checkAgainst(full, new Set(Array.from({ length: 70 }, (_, i) => i)))
    const empty = new IndexedChunkSet(70)
    expect(empty.size).toBe(0)
    expect(empty.nextFrom(0)).toBe(-1)
    expect(empty.sample(Math.random)).toBe(-1)
  })

  it('finds members far apart in a million-chunk set through the summary level', () => {
    const set = new IndexedChunkSet(1_000_000)
    expect(set.nextFrom(0)).toBe(-1)
    set.add(999_999)
    set.add(3)
    set.add(500_000)
    expect(set.nextFrom(0)).toBe(3)
    expect(set.nextFrom(4)).toBe(500_000)
    expect(set.nextFrom(500_001)).toBe(999_999)
    expect(set.nextFrom(1_000_000)).toBe(-1)
    set.delete(500_000)
    expect(set.nextFrom(4)).toBe(999_999)
  })

  it('rejects bad indices without corrupting itself', () => {
    const set = new IndexedChunkSet(10)
    expect(() => set.add(10)).toThrow(RangeError)
    expect(() => set.add(-1)).toThrow(RangeError)
    expect(() => set.add(1.5)).toThrow(RangeError)
    expect(set.delete(10)).toBe(false)
    expect(set.delete(-1)).toBe(false)
    expect(set.has(Number.NaN)).toBe(false)
    expect(set.at(0)).toBe(-1)
    expect(set.nextFrom(Number.NaN)).toBe(-1)
    expect(set.size).toBe(0)
    expect(() => new IndexedChunkSet(-1)).toThrow(RangeError)
  })

  it('samples every member, and only members', () => {
    const set = new IndexedChunkSet(100)
    for (const i of [2, 40, 41, 99]) set.add(i)
    const random = createRandom(3)
    const seen = new Set<number>()
    for (let t = 0; t < 400; t++) seen.add(set.sample(random))
    expect([...seen].sort((a, b) => a - b)).toEqual([2, 40, 41, 99])
    expect(set.sample(() => 0.9999999999)).not.toBe(-1)
  })

  it('lets disjoint sets share one position map', () => {
    const positions = new Int32Array(64)
    const a = new IndexedChunkSet(64, 'full', { sharedPositions: positions })
    const b = new IndexedChunkSet(64, 'empty', { sharedPositions: positions })
    for (let i = 0; i < 64; i += 3) {
      a.delete(i)
      b.add(i)
    }
    for (let i = 0; i < 64; i += 6) {
      b.delete(i)
      a.add(i)
    }
    checkAgainst(a, new Set(Array.from({ length: 64 }, (_, i) => i).filter(i => i % 3 !== 0 || i % 6 === 0)))
    checkAgainst(b, new Set(Array.from({ length: 64 }, (_, i) => i).filter(i => i % 3 === 0 && i % 6 !== 0)))
    expect(() => new IndexedChunkSet(65, 'empty', { sharedPositions: positions })).toThrow(RangeError)
  })

  it('EMPTY_CHUNK_SET is empty', () => {
    expect(EMPTY_CHUNK_SET.size).toBe(0)
    expect(EMPTY_CHUNK_SET.has(0)).toBe(false)
    expect(EMPTY_CHUNK_SET.nextFrom(0)).toBe(-1)
    expect(EMPTY_CHUNK_SET.sample(Math.random)).toBe(-1)
    expect(EMPTY_CHUNK_SET.at(0)).toBe(-1)
  })
})

describe('sampleHeld', () => {
  it('returns only members the peer has, or -1', () => {
    const set = new IndexedChunkSet(1000, 'full')
    const peer = new PeerHoldings(1000)
    const random = createRandom(11)
    expect(sampleHeld(set, peer, random)).toBe(-1)
    peer.add(777)
    expect(sampleHeld(set, peer, random)).toBe(777)
    peer.add(5)
    const seen = new Set<number>()
    for (let t = 0; t < 100; t++) seen.add(sampleHeld(set, peer, random))
    expect([...seen].sort((a, b) => a - b)).toEqual([5, 777])
    set.delete(5)
    set.delete(777)
    expect(sampleHeld(set, peer, random)).toBe(-1)
  })

  it('samples directly for a complete peer', () => {
    const set = new IndexedChunkSet(50)
    set.add(17)
    const peer = new PeerHoldings(50)
    peer.markComplete()
    expect(sampleHeld(set, peer, createRandom(1))).toBe(17)
  })
})
