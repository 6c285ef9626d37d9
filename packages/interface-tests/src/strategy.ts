import { describe, expect, it } from 'vitest'
import { Bitfield } from '@codio-chunk/interface'
import { ChunkAvailability, PeerHoldings, createRandom } from '@codio-chunk/pieces'
import type { PeerChunks, Strategy } from '@codio-chunk/interface'

/** A download's availability with some peers joined. */
interface Swarm {
  availability: ChunkAvailability
  seeder: PeerHoldings
  partials: PeerHoldings[]
}

/** Holdings of `n` chunks: each present with probability `density`. */
function randomHoldings (n: number, density: number, random: () => number): PeerHoldings {
  const peer = new PeerHoldings(n)
  const bits = new Bitfield(n)
  for (let i = 0; i < n; i++) if (random() < density) bits.set(i)
  peer.setBitfield(bits)
  return peer
}

function holdingsOf (n: number, indices: readonly number[]): PeerHoldings {
  const peer = new PeerHoldings(n)
  for (const i of indices) peer.add(i)
  return peer
}

/** A seeder plus partial peers of the given densities, all joined. */
function swarm (n: number, densities: readonly number[], seed: number, completed?: Bitfield): Swarm {
  const random = createRandom(seed)
  const availability = new ChunkAvailability(n, completed)
  const seeder = new PeerHoldings(n)
  seeder.markComplete()
  availability.peerJoined(seeder)
  const partials = densities.map(d => randomHoldings(n, d, random))
  for (const peer of partials) availability.peerJoined(peer)
  return { availability, seeder, partials }
}

function pick (strategy: Strategy, availability: ChunkAvailability, peer: PeerChunks, random: () => number, position = 0): number | undefined {
  return strategy.pick(availability.view(peer, { position, random }))
}

/** Describes what is wrong with a pick, or returns undefined if it is a valid one. */
function problem (availability: ChunkAvailability, peer: PeerChunks, index: number | undefined): string | undefined {
  if (index === undefined) return undefined
  if (!Number.isInteger(index) || index < 0 || index >= availability.chunkCount) return `${String(index)} is not a chunk index`
  if (availability.isCompleted(index)) return `${index} is already completed`
  if (availability.isRequested(index)) return `${index} is already requested`
  if (!availability.candidates.has(index)) return `${index} is not a candidate`
  if (!peer.has(index)) return `the peer does not have ${index}`
  return undefined
}

/** Every candidate chunk the peer has (slow: for checks only). */
function heldCandidates (availability: ChunkAvailability, peer: PeerChunks): number[] {
  const out: number[] = []
  for (let i = availability.candidates.nextFrom(0); i !== -1; i = availability.candidates.nextFrom(i + 1)) {
    if (peer.has(i)) out.push(i)
  }
  return out
}

/**
 * Defines the vitest tests every {@link Strategy} must pass: it only picks candidate chunks the
 * peer has (never completed or requested ones), returns `undefined` when there is none, is
 * deterministic for a seed, gets through a whole content against a seeder, and copes with 1 chunk,
 * 100 000 chunks and sparse peers. Views are built with core's `ChunkAvailability`.
 *
 * @param name - shown in the test titles
 * @param factory - makes a fresh strategy for each test
 *
 * @example
 * ```ts
 * // test/compliance.test.ts of a strategy package
 * import { strategyComplianceSuite } from '@codio-chunk/interface-tests/strategy'
 * import { rarestFirst } from '../src/index.js'
 *
 * strategyComplianceSuite('rarest-first', () => rarestFirst())
 * ```
 */
export function strategyComplianceSuite (name: string, factory: () => Strategy): void {
  describe(`${name}: Strategy compliance`, () => {
    it('has a name', () => {
      const strategy = factory()
      expect(typeof strategy.name).toBe('string')
      expect(strategy.name.length).toBeGreaterThan(0)
      expect(typeof strategy.pick).toBe('function')
    })

    it('only picks candidate chunks the peer has, from any position', () => {
      const n = 300
      const random = createRandom(21)
      const completed = new Bitfield(n)
      for (let i = 0; i < n; i++) if (random() < 0.2) completed.set(i)
      const { availability, seeder, partials } = swarm(n, [0.05, 0.5, 0.9], 22, completed)
      for (let i = 0; i < n; i++) if (random() < 0.1 && !completed.get(i)) availability.markRequested(i)
      const peers = [seeder, ...partials]
      const strategy = factory()
      const problems: string[] = []
      for (let step = 0; step < 400; step++) {
        const peer = peers[step % peers.length]
        const index = pick(strategy, availability, peer, random, Math.floor(random() * n))
        const wrong = problem(availability, peer, index)
        if (wrong !== undefined) problems.push(`step ${step}: ${wrong}`)
        if (index === undefined || wrong !== undefined) continue
        const roll = random()
        if (roll < 0.4) availability.markRequested(index)
        else if (roll < 0.8) availability.markCompleted(index)
        // Some requests fail and go back to the pool.
        if (roll < 0.1) availability.markReleased(index)
      }
      expect(problems).toEqual([])
    })

    it('returns undefined when the peer has no candidate chunk', () => {
      const n = 50
      const random = createRandom(31)
      const strategy = factory()
      const { availability } = swarm(n, [0.5], 32)
      expect(pick(strategy, availability, new PeerHoldings(n), random)).toBeUndefined()
      // The peer only has chunks that are completed or in flight; others are still needed.
      const peer = holdingsOf(n, [3, 4, 40])
      availability.peerJoined(peer)
      availability.markCompleted(3)
      availability.markRequested(4)
      availability.markRequested(40)
      expect(availability.candidates.size).toBeGreaterThan(0)
      for (let position = 0; position < n; position += 7) {
        expect(pick(strategy, availability, peer, random, position)).toBeUndefined()
      }
      // Nothing is needed any more.
      const done = new ChunkAvailability(n, Bitfield.full(n))
      const seeder = new PeerHoldings(n)
      seeder.markComplete()
      done.peerJoined(seeder)
      expect(pick(strategy, done, seeder, random)).toBeUndefined()
    })

    it('never picks a chunk twice while it is requested or completed', () => {
      const n = 64
      const random = createRandom(41)
      const strategy = factory()
      const { availability, seeder, partials } = swarm(n, [0.3, 0.7], 42)
      const picked = new Set<number>()
      const problems: string[] = []
      for (let step = 0; step <= n; step++) {
        const peer = step % 3 === 0 ? seeder : partials[step % 2]
        const index = pick(strategy, availability, peer, random, step % n)
        const wrong = problem(availability, peer, index)
        if (wrong !== undefined) problems.push(wrong)
        if (index === undefined) continue
        if (picked.has(index)) problems.push(`${index} picked twice`)
        picked.add(index)
        if (step % 2 === 0) availability.markRequested(index)
        else availability.markCompleted(index)
      }
      expect(problems).toEqual([])
    })

    it('is deterministic for a given seed', () => {
      const run = (seed: number): Array<number | undefined> => {
        const n = 200
        const random = createRandom(seed)
        const strategy = factory()
        const { availability, seeder, partials } = swarm(n, [0.2, 0.6], 51)
        const peers = [seeder, ...partials]
        const out: Array<number | undefined> = []
        for (let step = 0; step < 150; step++) {
          const index = pick(strategy, availability, peers[step % peers.length], random, (step * 13) % n)
          out.push(index)
          if (index !== undefined) availability.markCompleted(index)
        }
        return out
      }
      const first = run(7)
      expect(run(7)).toEqual(first)
      expect(first.some(i => i !== undefined)).toBe(true)
    })

    it('eventually picks every chunk from a seeder', () => {
      const n = 500
      const random = createRandom(61)
      const strategy = factory()
      const { availability, seeder } = swarm(n, [0.1, 0.5], 62)
      let picks = 0
      for (let index = pick(strategy, availability, seeder, random, 250); index !== undefined && picks <= n; picks++) {
        const wrong = problem(availability, seeder, index)
        if (wrong !== undefined) expect.fail(wrong)
        availability.markCompleted(index)
        index = pick(strategy, availability, seeder, random, 250)
      }
      expect(picks).toBe(n)
      expect(availability.completedCount).toBe(n)
    })

    it('works with a single chunk', () => {
      const random = createRandom(71)
      const strategy = factory()
      const availability = new ChunkAvailability(1)
      const seeder = new PeerHoldings(1)
      seeder.markComplete()
      availability.peerJoined(seeder)
      const empty = new PeerHoldings(1)
      availability.peerJoined(empty)
      expect(pick(strategy, availability, empty, random)).toBeUndefined()
      expect(pick(strategy, availability, seeder, random)).toBe(0)
      availability.markRequested(0)
      expect(pick(strategy, availability, seeder, random)).toBeUndefined()
      availability.markReleased(0)
      expect(pick(strategy, availability, seeder, random)).toBe(0)
      availability.markCompleted(0)
      expect(pick(strategy, availability, seeder, random)).toBeUndefined()
    })

    it('works with 100 000 chunks', () => {
      const n = 100_000
      const random = createRandom(81)
      const strategy = factory()
      const { availability, seeder, partials } = swarm(n, [0.5, 0.01], 82)
      const problems: string[] = []
      for (let step = 0; step < 2000; step++) {
        const peer = partials[step % 2]
        const index = pick(strategy, availability, peer, random, (step * 997) % n)
        const wrong = problem(availability, peer, index)
        if (wrong !== undefined) problems.push(wrong)
        if (index !== undefined && wrong === undefined) availability.markRequested(index)
      }
      let picks = 0
      for (let index = pick(strategy, availability, seeder, random); index !== undefined; index = pick(strategy, availability, seeder, random)) {
        if (!availability.candidates.has(index)) {
          problems.push(`seeder pick ${index} is not a candidate`)
          break
        }
        availability.markCompleted(index)
        picks++
      }
      expect(problems).toEqual([])
      expect(availability.candidates.size).toBe(0)
      expect(picks).toBe(n - availability.requestedCount)
    })

    it('handles a peer with a sparse bitfield', () => {
      const n = 100_000
      const random = createRandom(91)
      const strategy = factory()
      const { availability } = swarm(n, [0.3], 92)
      const held = [7, 50_000, 99_999]
      const sparse = holdingsOf(n, held)
      availability.peerJoined(sparse)
      const picked: number[] = []
      for (let step = 0; step < held.length + 1; step++) {
        const index = pick(strategy, availability, sparse, random, 60_000)
        if (index === undefined) break
        const wrong = problem(availability, sparse, index)
        if (wrong !== undefined) expect.fail(wrong)
        picked.push(index)
        availability.markRequested(index)
      }
      expect(picked.sort((a, b) => a - b)).toEqual(held)
      expect(heldCandidates(availability, sparse)).toEqual([])
    })
  })
}
