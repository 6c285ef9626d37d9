import { describe, expect, it } from 'vitest'
import { Bitfield } from '@codio-chunk/interface'
import { ChunkAvailability, createRandom } from '../src/availability.js'
import { PeerHoldings } from '../src/peer-chunks.js'
import type { ChunkSet } from '@codio-chunk/interface'

type State = 'candidate' | 'requested' | 'completed'

/** The obvious, slow model: recomputes everything from the peers' holdings on every question. */
class Reference {
  readonly state: State[]
  readonly joined = new Set<PeerHoldings>()

  constructor (readonly n: number, completed?: Bitfield) {
    this.state = Array.from({ length: n }, (_, i) => completed?.get(i) === true ? 'completed' : 'candidate')
  }

  availability (i: number): number {
    let count = 0
    for (const peer of this.joined) if (peer.has(i)) count++
    return count
  }

  candidates (): number[] {
    return this.state.flatMap((s, i) => s === 'candidate' ? [i] : [])
  }
}

/** The members in ascending order, read both through `nextFrom` and through `at` (which must agree). */
function members (set: ChunkSet): number[] {
  const ordered: number[] = []
  for (let i = set.nextFrom(0); i !== -1; i = set.nextFrom(i + 1)) ordered.push(i)
  const positional: number[] = []
  for (let k = 0; k < set.size; k++) positional.push(set.at(k))
  positional.sort((a, b) => a - b)
  return positional.length === ordered.length && positional.every((x, k) => x === ordered[k]) ? ordered : [-1, ...positional]
}

function compare (actual: ChunkAvailability, model: Reference): void {
  const candidates = model.candidates()
  const availability = Array.from({ length: model.n }, (_, i) => model.availability(i))
  const counts = candidates.map(i => availability[i])
  const buckets: number[][] = []
  const expectedBuckets: number[][] = []
  for (let count = 0; count <= model.joined.size + 1; count++) {
    const bucket = actual.bucket(count)
    buckets.push(members(bucket))
    expectedBuckets.push(candidates.filter(i => availability[i] === count))
  }
  expect({
    candidates: members(actual.candidates),
    candidateCount: actual.candidates.size,
    availability: availability.map((_, i) => actual.availability(i)),
    state: model.state.map((_, i) => actual.isCompleted(i) ? 'completed' : actual.isRequested(i) ? 'requested' : 'candidate'),
    completedCount: actual.completedCount,
    requestedCount: actual.requestedCount,
    min: actual.minAvailability,
    max: actual.maxAvailability,
    buckets
  }).toEqual({
    candidates,
    candidateCount: candidates.length,
    availability,
    state: model.state,
    completedCount: model.state.filter(s => s === 'completed').length,
    requestedCount: model.state.filter(s => s === 'requested').length,
    min: counts.length === 0 ? 0 : Math.min(...counts),
    max: counts.length === 0 ? 0 : Math.max(...counts),
    buckets: expectedBuckets
  })
}

function randomHoldings (n: number, random: () => number): PeerHoldings {
  const peer = new PeerHoldings(n)
  const kind = random()
  if (kind < 0.2) {
    peer.markComplete()
  } else if (kind < 0.3) {
    // Nothing yet: haves will follow.
  } else {
    const density = random()
    const bits = new Bitfield(n)
    for (let i = 0; i < n; i++) if (random() < density) bits.set(i)
    peer.setBitfield(bits)
  }
  return peer
}

function pick (list: readonly number[], random: () => number): number | undefined {
  return list.length === 0 ? undefined : list[Math.floor(random() * list.length)]
}

function runRandomOperations (seed: number, n: number, steps: number, completedAtStart: boolean): void {
  const random = createRandom(seed)
  let completed: Bitfield | undefined
  if (completedAtStart) {
    completed = new Bitfield(n)
    for (let i = 0; i < n; i++) if (random() < 0.3) completed.set(i)
  }
  const actual = new ChunkAvailability(n, completed)
  const model = new Reference(n, completed)
  const pool: PeerHoldings[] = []
  compare(actual, model)
  for (let step = 0; step < steps; step++) {
    const op = random()
    const joined = [...model.joined]
    if (op < 0.12 || joined.length === 0) {
      const peer = randomHoldings(n, random)
      pool.push(peer)
      actual.peerJoined(peer)
      model.joined.add(peer)
    } else if (op < 0.2) {
      const peer = joined[Math.floor(random() * joined.length)]
      actual.peerLeft(peer)
      model.joined.delete(peer)
    } else if (op < 0.5) {
      const peer = joined[Math.floor(random() * joined.length)]
      const index = Math.floor(random() * n)
      const added = peer.add(index)
      // A bogus or repeated have must not change anything, so call it either way.
      expect(actual.peerHas(peer, index)).toBe(added)
    } else if (op < 0.54) {
      const peer = joined[Math.floor(random() * joined.length)]
      if (random() < 0.5) peer.markComplete()
      else peer.setBitfield(randomHoldings(n, random).toBitfield())
      actual.peerUpdated(peer)
    } else if (op < 0.56) {
      // Events about a peer that is not (or no longer) joined are ignored.
      const stranger = pool.find(p => !model.joined.has(p))
      if (stranger !== undefined) {
        const index = Math.floor(random() * n)
        stranger.add(index)
        expect(actual.peerHas(stranger, index)).toBe(false)
        actual.peerLeft(stranger)
      }
    } else if (op < 0.75) {
      const index = pick(model.candidates(), random)
      if (index !== undefined) {
        expect(actual.markRequested(index)).toBe(true)
        model.state[index] = 'requested'
      }
    } else if (op < 0.87) {
      const requested = model.state.flatMap((s, i) => s === 'requested' ? [i] : [])
      const index = pick(requested, random)
      if (index !== undefined) {
        expect(actual.markReleased(index)).toBe(true)
        model.state[index] = 'candidate'
      }
    } else {
      const index = Math.floor(random() * n)
      expect(actual.markCompleted(index)).toBe(model.state[index] !== 'completed')
      model.state[index] = 'completed'
      expect(actual.markRequested(index)).toBe(false)
      expect(actual.markReleased(index)).toBe(false)
    }
    compare(actual, model)
  }
}

describe('ChunkAvailability', () => {
  it('matches a naive model under random join/leave/have/update/request/release/complete', () => {
    for (const seed of [1, 2, 3, 4]) runRandomOperations(seed, 37, 600, false)
  })

  it('matches the model when resuming with chunks already completed', () => {
    for (const seed of [5, 6]) runRandomOperations(seed, 70, 400, true)
  })

  it('counts a seeder in O(1) and keeps per-chunk counts of a peer that completes later', () => {
    const availability = new ChunkAvailability(4)
    const seeder = new PeerHoldings(4)
    seeder.markComplete()
    availability.peerJoined(seeder)
    expect(availability.seedCount).toBe(1)
    expect(availability.bucket(1).size).toBe(4)
    expect(availability.bucket(0).size).toBe(0)
    const partial = new PeerHoldings(4)
    availability.peerJoined(partial)
    for (let i = 0; i < 4; i++) {
      partial.add(i)
      availability.peerHas(partial, i)
    }
    expect(partial.complete).toBe(true)
    expect(availability.seedCount).toBe(1)
    expect(availability.minAvailability).toBe(2)
    availability.peerLeft(seeder)
    expect(availability.bucket(1).size).toBe(4)
    availability.peerLeft(partial)
    expect(availability.bucket(0).size).toBe(4)
    expect(availability.peerCount).toBe(0)
  })

  it('builds views with the live candidates and a clamped position', () => {
    const availability = new ChunkAvailability(10)
    const peer = new PeerHoldings(10)
    const random = createRandom(9)
    availability.markCompleted(3)
    const view = availability.view(peer, { position: 42, random })
    expect(view.position).toBe(9)
    expect(view.chunkCount).toBe(10)
    expect(view.completedCount).toBe(1)
    expect(view.candidates.has(3)).toBe(false)
    expect(view.peer).toBe(peer)
    expect(view.rarity).toBe(availability)
    expect(availability.view(peer, { random }).position).toBe(0)
    expect(availability.view(peer, { position: -5, random }).position).toBe(0)
  })

  it('throws on out-of-range marks and mismatched sizes', () => {
    const availability = new ChunkAvailability(4)
    expect(() => availability.markRequested(4)).toThrow(RangeError)
    expect(() => availability.markCompleted(-1)).toThrow(RangeError)
    expect(() => { availability.peerJoined(new PeerHoldings(5)) }).toThrow(RangeError)
    expect(() => new ChunkAvailability(4, new Bitfield(3))).toThrow(RangeError)
    expect(availability.availability(99)).toBe(0)
  })
})

describe('createRandom', () => {
  it('repeats for a seed, differs across seeds, stays in [0, 1)', () => {
    const a = createRandom(123)
    const b = createRandom(123)
    const c = createRandom(124)
    const xs = Array.from({ length: 1000 }, () => a())
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs)
    expect(c()).not.toBe(xs[0])
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true)
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05)
  })
})
