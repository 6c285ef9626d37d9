import { describe, expect, it } from 'vitest'
import { ChunkAvailability, PeerHoldings, createRandom } from '@codio-chunk/pieces'
import { InvalidConfigError } from '@codio-chunk/interface'
import type { ChunkSet, PeerChunks, PickView, Strategy } from '@codio-chunk/interface'
import * as plugin from '../src/index.js'
import { edgesFirst } from '../src/index.js'

function seederOf (n: number): PeerHoldings {
  const peer = new PeerHoldings(n)
  peer.markComplete()
  return peer
}

function holdingsOf (n: number, indices: Iterable<number>): PeerHoldings {
  const peer = new PeerHoldings(n)
  for (const i of indices) peer.add(i)
  return peer
}

function range (from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k)
}

/** Picks for `peer` until it has nothing left, completing each pick as the engine would after verifying it. */
function drain (strategy: Strategy, availability: ChunkAvailability, peer: PeerChunks, seed = 1, limit = 10_000): number[] {
  const random = createRandom(seed)
  const out: number[] = []
  for (let index = strategy.pick(availability.view(peer, { random })); index !== undefined; index = strategy.pick(availability.view(peer, { random }))) {
    out.push(index)
    availability.markCompleted(index)
    if (out.length > limit) throw new Error('the strategy never ran out of picks')
  }
  return out
}

/** The CLI's loading contract: default export (Strategy or factory), else a named `strategy` export. */
function loadStrategy (mod: Record<string, unknown>): Strategy {
  const exported = mod.default ?? mod.strategy
  const value = typeof exported === 'function' ? (exported as () => unknown)() : exported
  if (typeof value !== 'object' || value === null || typeof (value as Strategy).pick !== 'function') {
    throw new TypeError('not a strategy module')
  }
  return value as Strategy
}

describe('edgesFirst', () => {
  it('is named edges-first and is the default export, a factory with no required argument', () => {
    expect(edgesFirst().name).toBe('edges-first')
    expect(plugin.default).toBe(edgesFirst)
    expect(edgesFirst.length).toBe(0)
    const strategy = loadStrategy(plugin)
    expect(strategy.name).toBe('edges-first')
  })

  it('picks the head in order, then the tail in order, then the rarest chunks', () => {
    const n = 100
    const availability = new ChunkAvailability(n)
    const seeder = seederOf(n)
    availability.peerJoined(seeder)
    // A partial peer has everything but 40..49 (and the edges): those are the rarest, held by the seeder only.
    availability.peerJoined(holdingsOf(n, range(4, 98).filter(i => i < 40 || i >= 50)))
    const order = drain(edgesFirst(), availability, seeder)
    expect(order.slice(0, 6)).toEqual([0, 1, 2, 3, 98, 99])
    expect(order.slice(6, 16).sort((a, b) => a - b)).toEqual(range(40, 50))
    expect([...order].sort((a, b) => a - b)).toEqual(range(0, n))
  })

  it('gives the next edge chunk to the next peer while earlier ones are in flight, and retries a released one first', () => {
    const n = 50
    const availability = new ChunkAvailability(n)
    const seeder = seederOf(n)
    availability.peerJoined(seeder)
    const strategy = edgesFirst({ head: 3, tail: 2 })
    const random = createRandom(2)
    const picks: Array<number | undefined> = []
    for (let k = 0; k < 5; k++) {
      const index = strategy.pick(availability.view(seeder, { random }))
      picks.push(index)
      if (index !== undefined) availability.markRequested(index)
    }
    expect(picks).toEqual([0, 1, 2, 48, 49])
    const middle = strategy.pick(availability.view(seeder, { random }))
    expect(middle).toBeGreaterThanOrEqual(3)
    expect(middle).toBeLessThan(48)
    // A timed-out request goes back to the pool: being an edge chunk, it comes first again.
    availability.markReleased(49)
    expect(strategy.pick(availability.view(seeder, { random }))).toBe(49)
    availability.markReleased(1)
    expect(strategy.pick(availability.view(seeder, { random }))).toBe(1)
  })

  it('only asks a peer for chunks it has: its edge chunks first, then its rarest', () => {
    const n = 100
    const availability = new ChunkAvailability(n)
    availability.peerJoined(seederOf(n))
    const peer = holdingsOf(n, [2, 10, 20, 50, 99])
    availability.peerJoined(peer)
    // Another peer also has 20 and 50 (availability 3), so 10 (availability 2) is the rarest.
    availability.peerJoined(holdingsOf(n, [20, 50, 60]))
    const order = drain(edgesFirst(), availability, peer)
    expect(order.slice(0, 3)).toEqual([2, 99, 10])
    expect(order.slice(3).sort((a, b) => a - b)).toEqual([20, 50])
    // Nothing else is asked of it, although 90 chunks are still needed.
    expect(availability.candidates.size).toBe(95)
  })

  it('goes straight to rarest-first for a peer without edge chunks', () => {
    const n = 1000
    const availability = new ChunkAvailability(n)
    availability.peerJoined(seederOf(n))
    availability.peerJoined(holdingsOf(n, range(100, 200)))
    const peer = holdingsOf(n, [150, 500, 501])
    availability.peerJoined(peer)
    const order = drain(edgesFirst(), availability, peer)
    expect(order.slice(0, 2).sort((a, b) => a - b)).toEqual([500, 501])
    expect(order[2]).toBe(150)
  })

  it('handles content with fewer chunks than head + tail', () => {
    for (const n of [1, 2, 3, 5, 6]) {
      const availability = new ChunkAvailability(n)
      const seeder = seederOf(n)
      availability.peerJoined(seeder)
      expect(drain(edgesFirst(), availability, seeder)).toEqual(range(0, n))
    }
    // Head and tail overlap: the tail starts after the head, nothing is picked twice.
    const availability = new ChunkAvailability(5)
    const seeder = seederOf(5)
    availability.peerJoined(seeder)
    expect(drain(edgesFirst({ head: 2, tail: 4 }), availability, seeder)).toEqual([0, 1, 2, 3, 4])
    // Empty content: nothing to pick.
    expect(edgesFirst().pick(new ChunkAvailability(0).view(new PeerHoldings(0), { random: createRandom(1) }))).toBeUndefined()
  })

  it('with a head or tail of 0 only fetches the other edge first, and with both 0 is plain rarest-first', () => {
    const n = 40
    const make = (): { availability: ChunkAvailability, seeder: PeerHoldings } => {
      const availability = new ChunkAvailability(n)
      const seeder = seederOf(n)
      availability.peerJoined(seeder)
      // Chunks 20..24 are the rarest: everyone else holds the rest.
      availability.peerJoined(holdingsOf(n, range(0, n).filter(i => i < 20 || i >= 25)))
      return { availability, seeder }
    }
    let s = make()
    expect(drain(edgesFirst({ head: 0, tail: 3 }), s.availability, s.seeder).slice(0, 3)).toEqual([37, 38, 39])
    s = make()
    const order = drain(edgesFirst({ head: 2, tail: 0 }), s.availability, s.seeder)
    expect(order.slice(0, 2)).toEqual([0, 1])
    expect(order.slice(2, 7).sort((a, b) => a - b)).toEqual(range(20, 25))
    s = make()
    expect(drain(edgesFirst({ head: 0, tail: 0 }), s.availability, s.seeder).slice(0, 5).sort((a, b) => a - b)).toEqual(range(20, 25))
  })

  it('looks at a bounded number of chunks per pick, not the whole content', () => {
    const n = 200_000
    const availability = new ChunkAvailability(n)
    const seeder = seederOf(n)
    availability.peerJoined(seeder)
    const random = createRandom(5)
    // A partial peer with about half of the middle chunks and none of the 16 + 16 edge chunks.
    const partial = new PeerHoldings(n)
    for (let i = 16; i < n - 16; i++) if (random() < 0.5) partial.add(i)
    availability.peerJoined(partial)
    const strategy = edgesFirst({ head: 16, tail: 16 })
    let lookups = 0
    const counted = (view: PickView): PickView => {
      const candidates: ChunkSet = {
        get size () { return view.candidates.size },
        has: (i) => { lookups++; return view.candidates.has(i) },
        nextFrom: (i) => { lookups++; return view.candidates.nextFrom(i) },
        sample: (r) => { lookups++; return view.candidates.sample(r) },
        at: (k) => { lookups++; return view.candidates.at(k) }
      }
      const peer: PeerChunks = {
        get complete () { return view.peer.complete },
        get count () { return view.peer.count },
        has: (i) => { lookups++; return view.peer.has(i) }
      }
      return { ...view, candidates, peer }
    }
    const pickCounted = (peer: PeerChunks): { index: number | undefined, lookups: number } => {
      lookups = 0
      const index = strategy.pick(counted(availability.view(peer, { random })))
      return { index, lookups }
    }
    for (let step = 0; step < 100; step++) {
      const { index, lookups } = pickCounted(partial)
      expect(index).not.toBeUndefined()
      expect(partial.has(index!)).toBe(true)
      availability.markRequested(index!)
      // Edges: at most 17 nextFrom and 16 has calls each; rarest-first: a few samples.
      expect(lookups).toBeLessThanOrEqual(2 * (17 + 16) + 8)
    }
    for (let step = 0; step < 100; step++) {
      const { index, lookups } = pickCounted(seeder)
      expect(index).not.toBeUndefined()
      availability.markRequested(index!)
      // A seeder: one nextFrom into the head, one into the tail, one sample.
      expect(lookups).toBeLessThanOrEqual(4)
    }
  })

  it('rejects invalid options with InvalidConfigError', () => {
    const bad: unknown[] = [
      { head: -1 }, { tail: -1 }, { head: 1.5 }, { head: Number.NaN }, { tail: Number.POSITIVE_INFINITY },
      { head: '4' }, { tail: null }, { head: 2 ** 31 }, { heads: 4 }, null, 'head=4', [4, 2]
    ]
    for (const options of bad) {
      expect(() => edgesFirst(options as never), JSON.stringify(options)).toThrow(InvalidConfigError)
    }
    expect(() => edgesFirst({ head: -1 })).toThrow(/head must be a whole number of chunks/)
    expect(() => edgesFirst({ heads: 4 } as never)).toThrow(/no option "heads"/)
    for (const ok of [undefined, {}, { head: 0, tail: 0 }, { head: 1000 }, { tail: 7 }]) {
      expect(edgesFirst(ok).name).toBe('edges-first')
    }
    expect(plugin.resolveEdgesFirstOptions({ tail: 8 })).toEqual({ head: 4, tail: 8 })
    expect(plugin.resolveEdgesFirstOptions(undefined)).toEqual({ head: plugin.DEFAULT_HEAD, tail: plugin.DEFAULT_TAIL })
  })
})
