import { describe, expect, it } from 'vitest'
import { Bitfield } from '@codio-chunk/interface'
import { SuperSeedPlanner, type Reveal, type SuperSeedPlannerOptions } from '../src/index.js'
import { PeerHoldings, createRandom } from '@codio-chunk/pieces'

/** A planner on a fake clock, with the peers it knows as PeerHoldings. */
function setup (chunkCount: number, options: Partial<SuperSeedPlannerOptions> = {}): {
  planner: SuperSeedPlanner<string>
  clock: { now: number }
  holdings: Map<string, PeerHoldings>
  join: (peer: string, held?: number[]) => number[]
} {
  const clock = { now: 1000 }
  const planner = new SuperSeedPlanner<string>({ chunkCount, clock: () => clock.now, random: createRandom(42), ...options })
  const holdings = new Map<string, PeerHoldings>()
  const join = (peer: string, held: number[] = []): number[] => {
    const h = new PeerHoldings(chunkCount)
    for (const i of held) h.add(i)
    holdings.set(peer, h)
    return planner.peerJoined(peer, h).filter(r => r.peer === peer).map(r => r.index)
  }
  return { planner, clock, holdings, join }
}

function indices (reveals: ReadonlyArray<Reveal<string>>, peer?: string): number[] {
  return reveals.filter(r => peer === undefined || r.peer === peer).map(r => r.index)
}

describe('SuperSeedPlanner', () => {
  it('reveals different chunks to every peer, pendingPerPeer at a time', () => {
    const { planner, join } = setup(100, { pendingPerPeer: 3 })
    const seen = new Set<number>()
    for (const peer of ['a', 'b', 'c', 'd', 'e']) {
      const revealed = join(peer)
      expect(revealed).toHaveLength(3)
      for (const index of revealed) {
        expect(seen.has(index)).toBe(false)
        seen.add(index)
        expect(planner.mayServe(peer, index)).toBe(true)
        for (const other of ['a', 'b', 'c', 'd', 'e']) if (other !== peer) expect(planner.mayServe(other, index)).toBe(false)
      }
    }
    expect(planner.unrevealedCount).toBe(100 - 15)
  })

  it('reveals the next chunk when one is sent, until unspreadPerPeer chunks wait to spread', () => {
    const { planner, join, holdings } = setup(100, { pendingPerPeer: 1, unspreadPerPeer: 2 })
    const [first] = join('a')
    join('b')
    const second = indices(planner.served('a', first), 'a')
    expect(second).toHaveLength(1)
    holdings.get('a')?.add(first)
    expect(planner.peerHas('a', first)).toHaveLength(0) // its own chunk: nothing new
    // Second sent: two chunks now wait to spread, so nothing more for 'a'.
    expect(planner.served('a', second[0])).toHaveLength(0)
    expect(planner.mayServe('a', 99) && !planner.mayServe('a', second[0])).toBe(false)
    // 'b' is seen with the first chunk: it spread, and 'a' gets one more.
    holdings.get('b')?.add(first)
    const third = planner.peerHas('b', first)
    expect(indices(third, 'a')).toHaveLength(1)
    expect([first, second[0]]).not.toContain(third[0].index)
  })

  it('never reveals a chunk some peer already holds', () => {
    const { planner, join } = setup(8, { pendingPerPeer: 1 })
    const toA = join('a', [0, 1, 2, 3, 4, 5])
    const toB = join('b')
    expect([...toA, ...toB].sort((x, y) => x - y)).toEqual([6, 7])
    expect(planner.presentCount).toBe(6)
    expect(join('c')).toEqual([])
  })

  it('gives a peer alone in the swarm everything, and ends when every chunk was sent once', () => {
    const { planner, join, holdings } = setup(10, { pendingPerPeer: 2, unspreadPerPeer: 1 })
    let pending = join('solo')
    const sent: number[] = []
    while (!planner.ended) {
      expect(pending.length).toBeGreaterThan(0)
      const index = pending.shift() as number
      sent.push(index)
      pending.push(...indices(planner.served('solo', index)))
      holdings.get('solo')?.add(index)
      planner.peerHas('solo', index)
    }
    expect(sent.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(planner.mayServe('anyone', 3)).toBe(true)
    expect(planner.peerJoined('late', new PeerHoldings(10))).toHaveLength(0)
  })

  it('ends at once when another peer holds every chunk not yet sent', () => {
    const { planner, join } = setup(20, { pendingPerPeer: 1 })
    const [chunk] = join('a')
    expect(planner.ended).toBe(false)
    join('other-seeder', Array.from({ length: 20 }, (_, i) => i).filter(i => i !== chunk))
    expect(planner.ended).toBe(false)
    planner.served('a', chunk)
    expect(planner.ended).toBe(true)
  })

  it('puts the chunks of a peer that leaves back for others', () => {
    const { planner, join, holdings } = setup(6, { pendingPerPeer: 2, unspreadPerPeer: 4 })
    const [x, y] = join('a')
    join('b')
    join('c')
    expect(planner.unrevealedCount).toBe(0)
    planner.served('a', x) // x sent to 'a' only; y still pending
    holdings.get('a')?.add(x)
    const reveals = planner.peerLeft('a')
    // Both go back (x was held by 'a' alone): 'b' and 'c' are full, so they wait in the pool.
    expect(reveals).toHaveLength(0)
    expect(planner.unrevealedCount).toBe(2)
    expect(planner.presentCount).toBe(0)
    // When 'b' is sent its chunks it gets them.
    const bChunks = [0, 1, 2, 3, 4, 5].filter(i => planner.mayServe('b', i))
    const next = planner.served('b', bChunks[0])
    expect(indices(next, 'b').every(i => i === x || i === y)).toBe(true)
    expect(indices(next, 'b')).toHaveLength(1)
  })

  it('stops holding a peer whose chunks do not spread to the unspread budget, and ends when nothing is sent for stallTimeout', () => {
    const { planner, join, clock } = setup(8, { pendingPerPeer: 1, unspreadPerPeer: 1, stallTimeout: 500 })
    const [a1] = join('a')
    join('b')
    expect(indices(planner.served('a', a1))).toEqual([]) // one unspread chunk: a's budget is full
    clock.now += 499
    expect(planner.tick()).toHaveLength(0)
    clock.now += 1
    // a stalled: from now on it gets a chunk each time the previous one was sent.
    const [{ index: a2 }] = planner.tick()
    expect(planner.mayServe('a', a2)).toBe(true)
    expect(indices(planner.served('a', a2), 'a')).toHaveLength(1)
    // b never fetches its chunk, so it is not stalled (it has one pending) and keeps it.
    expect(planner.tick().filter(r => r.peer === 'b')).toHaveLength(0)
    // a fetches everything else; b's chunk is never sent: once nothing is sent for stallTimeout,
    // super-seeding ends so that everyone can have everything.
    for (let guard = 0; guard < 20 && planner.unrevealedCount + [...Array(8).keys()].filter(i => planner.mayServe('a', i)).length > 0; guard++) {
      for (let i = 0; i < 8; i++) if (planner.mayServe('a', i)) planner.served('a', i)
    }
    expect(planner.unrevealedCount).toBe(0)
    expect(planner.presentCount).toBe(7)
    clock.now += 499
    planner.tick()
    expect(planner.ended).toBe(false)
    clock.now += 1
    planner.tick()
    expect(planner.ended).toBe(true)
  })

  it('ignores haves out of range and events from unknown peers', () => {
    const { planner, join } = setup(4)
    join('a')
    expect(planner.peerHas('a', 4)).toHaveLength(0)
    expect(planner.peerHas('a', -1)).toHaveLength(0)
    expect(planner.peerHas('nobody', 0)).toHaveLength(0)
    expect(planner.served('nobody', 9)).toHaveLength(0)
    expect(planner.peerLeft('nobody')).toHaveLength(0)
    expect(planner.ended).toBe(false)
  })

  it('takes a later bitfield into account', () => {
    const { planner, join, holdings } = setup(4, { pendingPerPeer: 1 })
    join('a')
    join('b')
    const b = holdings.get('b') as PeerHoldings
    b.setBitfield(Bitfield.full(4))
    planner.peerUpdated('b')
    expect(planner.ended).toBe(true)
  })

  it('rejects bad options', () => {
    const base = { clock: () => 0, random: Math.random }
    expect(() => new SuperSeedPlanner({ ...base, chunkCount: -1 })).toThrow(RangeError)
    expect(() => new SuperSeedPlanner({ ...base, chunkCount: 4, pendingPerPeer: 0 })).toThrow(RangeError)
    expect(() => new SuperSeedPlanner({ ...base, chunkCount: 4, stallTimeout: Number.NaN })).toThrow(RangeError)
    expect(new SuperSeedPlanner({ ...base, chunkCount: 0 }).ended).toBe(true)
  })

  it('uploads each chunk exactly once in a simulated swarm where peers share, and everyone completes', () => {
    const chunkCount = 200
    const peers = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']
    const { planner, join, holdings } = setup(chunkCount, { pendingPerPeer: 2, unspreadPerPeer: 3 })
    const random = createRandom(7)
    const advertised = new Map<string, Set<number>>()
    for (const peer of peers) advertised.set(peer, new Set(join(peer)))
    const learn = (reveals: ReadonlyArray<Reveal<string>>): void => { for (const r of reveals) advertised.get(r.peer)?.add(r.index) }
    const give = (peer: string, index: number): void => {
      const h = holdings.get(peer) as PeerHoldings
      if (!h.add(index)) return
      learn(planner.peerHas(peer, index))
    }
    let seederUploads = 0
    let uploadsAtEnd = -1
    for (let step = 0; step < 100_000 && !peers.every(p => holdings.get(p)?.complete === true); step++) {
      // Until super-seeding ends the seeder sends one advertised chunk per step, round-robin over
      // the peers that want one (afterwards the peers finish among themselves).
      const peer = peers[step % peers.length]
      const wanted = [...(advertised.get(peer) ?? [])].find(i => !(holdings.get(peer) as PeerHoldings).has(i))
      if (wanted !== undefined && !planner.ended) {
        expect(planner.mayServe(peer, wanted)).toBe(true)
        seederUploads++
        learn(planner.served(peer, wanted))
        give(peer, wanted)
        if (planner.ended) uploadsAtEnd = seederUploads
      }
      // Each step, a few peer-to-peer transfers of a chunk the receiver lacks.
      for (let k = 0; k < 6; k++) {
        const from = holdings.get(peers[Math.floor(random() * peers.length)]) as PeerHoldings
        const to = peers[Math.floor(random() * peers.length)]
        const index = from.nextHeld(Math.floor(random() * chunkCount))
        if (index !== -1 && !(holdings.get(to) as PeerHoldings).has(index)) give(to, index)
      }
    }
    expect(peers.every(p => holdings.get(p)?.complete === true)).toBe(true)
    expect(planner.ended).toBe(true)
    // Each chunk left the seeder exactly once before super-seeding ended.
    expect(uploadsAtEnd).toBe(chunkCount)
    expect(seederUploads).toBe(chunkCount)
  })
})
