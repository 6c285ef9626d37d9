import { describe, expect, it } from 'vitest'
import { ChunkConfig, NEW_PEER_WEIGHT, RATIO_GRACE_BYTES, REFUSER_OPTIMISTIC_DIVISOR, SEED_TURN_RECHOKES, decideUnchokes, meetsRatio, refusesToReciprocate, slotForNewcomer, type ChokerDecision, type ChokerInput, type ChokerOptions, type ChokerPeer, type UploadSlot } from '../src/index.js'
import { createRandom } from '@codio-chunk/pieces'
import { silentLogger } from '@codio-chunk/interface'
import { UploadManager } from '../src/upload/upload-manager.js'
import { openSession, type SessionFixture } from './session-fixture.js'
import type { PeerSession } from '../src/peers/peer-session.js'
import { CID } from 'multiformats/cid'

const MiB = 1024 * 1024
/** Some content's CID, for interest messages. */
const CONTENT = CID.parse('bafkqaaa')
const options: ChokerOptions = { uploadSlots: 3, minUploadRatio: 0.8, optimisticUnchokeInterval: 30_000, rechokeInterval: 10_000 }
/** Long after every peer connected, so nobody counts as new unless a test says so. */
const NOW = 1_000_000

function peer (id: string, fields: Partial<ChokerPeer> = {}): ChokerPeer {
  return { id, interested: true, downloadRate: 0, uploadRate: 0, bytesReceived: 0, bytesSent: 0, connectedAt: 0, snubbed: false, ...fields }
}

function decide (peers: ChokerPeer[], fields: Partial<ChokerInput> = {}): ChokerDecision {
  return decideUnchokes({ peers, seeding: false, now: NOW, random: createRandom(7), options, mode: 'rechoke', ...fields })
}

/**
 * Runs the choker the way the upload manager does: every rechoke period, feeding each decision's
 * slots back into the peer table. Returns each round's decision.
 */
function simulate (table: ChokerPeer[], rounds: number, input: Partial<ChokerInput> & { step?: number } = {}): ChokerDecision[] {
  let peers = table
  let optimisticSince: number | undefined
  const step = input.step ?? options.rechokeInterval
  const out: ChokerDecision[] = []
  const random = createRandom(11)
  for (let round = 0; round < rounds; round++) {
    const now = NOW + round * step
    const decision = decideUnchokes({ peers, seeding: false, now, random, options, mode: 'rechoke', optimisticSince, ...input })
    optimisticSince = decision.optimisticSince
    out.push(decision)
    peers = peers.map(p => {
      const slot: UploadSlot | undefined = decision.regular.includes(p.id) ? 'regular' : decision.optimistic === p.id ? 'optimistic' : undefined
      return {
        ...p,
        slot,
        slotSince: slot === 'regular' ? (p.slot === 'regular' ? p.slotSince : now) : undefined,
        lastServedAt: slot !== undefined || p.slot !== undefined ? now : p.lastServedAt
      }
    })
  }
  return out
}

describe('choker: downloading node', () => {
  it('gives the regular slots to the peers that send us the most, fastest first', () => {
    const peers = [
      peer('a', { downloadRate: 100 }), peer('b', { downloadRate: 900 }), peer('c', { downloadRate: 500 }),
      peer('d', { downloadRate: 700 }), peer('e', { downloadRate: 0 })
    ]
    const decision = decide(peers)
    expect(decision.regular).toEqual(['b', 'd', 'c'])
    expect(['a', 'e']).toContain(decision.optimistic)
    expect(decision.unchoked).toEqual(new Set(['b', 'd', 'c', decision.optimistic]))
  })

  it('ranks by the recent rate, not by lifetime totals', () => {
    const peers = [
      peer('veteran', { downloadRate: 10, bytesReceived: 500 * MiB, bytesSent: 100 * MiB }),
      peer('x', { downloadRate: 300 }), peer('y', { downloadRate: 200 }), peer('z', { downloadRate: 100 })
    ]
    expect(decide(peers).regular).toEqual(['x', 'y', 'z'])
  })

  it('prefers peers whose ratio meets minUploadRatio, and falls back to the others for spare slots', () => {
    const peers = [
      // Sends fast now, but has taken far more from us than it gave: ratio 0.5.
      peer('taker', { downloadRate: 5000, bytesReceived: 5 * MiB, bytesSent: 10 * MiB }),
      peer('fair', { downloadRate: 100, bytesReceived: 8 * MiB, bytesSent: 10 * MiB }),
      peer('generous', { downloadRate: 50, bytesReceived: 20 * MiB, bytesSent: 1 * MiB }),
      // No traffic either way yet: not penalised.
      peer('fresh'),
      peer('freeRider', { bytesSent: 4 * MiB })
    ]
    const decision = decide(peers)
    expect(decision.regular).toEqual(['fair', 'generous', 'fresh'])
    expect(meetsRatio(peers[0], 0.8)).toBe(false)
    expect(meetsRatio(peers[1], 0.8)).toBe(true)
    expect(meetsRatio(peer('small', { bytesSent: RATIO_GRACE_BYTES - 1 }), 0.8)).toBe(true)
    // With more slots, the ratio-poor peers get the spare ones, by rate.
    const roomy = decide(peers, { options: { ...options, uploadSlots: 5 } })
    expect(roomy.regular).toEqual(['fair', 'generous', 'fresh', 'taker', 'freeRider'])
  })

  it('keeps incumbents ahead of ties, so equal peers do not flap', () => {
    const peers = ['a', 'b', 'c', 'd', 'e', 'f'].map(id => peer(id, { downloadRate: 1000 }))
    const held = peers.map(p => ['d', 'e', 'f'].includes(p.id) ? { ...p, slot: 'regular' as const, slotSince: 0 } : p)
    for (let seed = 0; seed < 50; seed++) {
      const decision = decide(held, { random: createRandom(seed) })
      expect(new Set(decision.regular)).toEqual(new Set(['d', 'e', 'f']))
    }
    // A strictly faster challenger still wins a slot.
    const faster = held.map(p => p.id === 'a' ? { ...p, downloadRate: 1001 } : p)
    expect(decide(faster).regular[0]).toBe('a')
  })

  it('gives a peer that could pay back and does not no regular slot, even a spare one', () => {
    const sent = 4 * MiB
    const rider = peer('rider', { withheld: true, bytesSent: sent, bytesReceived: 0 })
    const cannotPay = peer('behind', { withheld: false, bytesSent: sent, bytesReceived: 0 })
    const decision = decide([peer('a', { downloadRate: 500 }), rider, cannotPay])
    expect(decision.regular.sort()).toEqual(['a', 'behind'])
    expect(decision.optimistic).toBe('rider')
    expect(refusesToReciprocate(rider, options.minUploadRatio)).toBe(true)
    expect(refusesToReciprocate({ ...rider, bytesReceived: sent / 4 }, options.minUploadRatio)).toBe(false)
    expect(refusesToReciprocate({ ...rider, bytesSent: RATIO_GRACE_BYTES - 1 }, options.minUploadRatio)).toBe(false)
    // A seeding node wants nothing back.
    expect(decide([peer('a', { uploadRate: 500 }), rider], { seeding: true }).regular.sort()).toEqual(['a', 'rider'])
  })

  it('gives snubbing peers no regular slot, only the optimistic one', () => {
    const peers = [
      peer('snub', { downloadRate: 9000, snubbed: true }),
      peer('a', { downloadRate: 30 }), peer('b', { downloadRate: 20 }), peer('c', { downloadRate: 10 })
    ]
    const decision = decide(peers)
    expect(decision.regular).toEqual(['a', 'b', 'c'])
    expect(decision.optimistic).toBe('snub')
  })

  it('gives not-interested peers no slot but leaves them unchoked', () => {
    const peers = [
      peer('idle', { interested: false, downloadRate: 9000 }),
      peer('a', { downloadRate: 30 }), peer('b', { downloadRate: 20 }), peer('c', { downloadRate: 10 }), peer('d')
    ]
    const decision = decide(peers)
    expect(decision.regular).toEqual(['a', 'b', 'c'])
    expect(decision.optimistic).toBe('d')
    expect(decision.unchoked.has('idle')).toBe(true)
    // An interested peer without a slot is choked.
    const crowded = decide([...peers, peer('e')])
    const waiting = ['d', 'e'].filter(id => id !== crowded.optimistic)
    expect(waiting).toHaveLength(1)
    expect(crowded.unchoked.has(waiting[0])).toBe(false)
  })

  it('in update mode keeps the holders and only fills free slots', () => {
    const peers = [
      peer('slow', { downloadRate: 1, slot: 'regular', slotSince: 0 }),
      peer('fast', { downloadRate: 5000 }), peer('faster', { downloadRate: 9000 })
    ]
    const twoSlots = { ...options, uploadSlots: 2 }
    const update = decide(peers, { mode: 'update', options: twoSlots })
    expect(update.regular).toEqual(['slow', 'faster'])
    expect(update.optimistic).toBe('fast')
    // The periodic rechoke re-ranks.
    expect(decide(peers, { options: twoSlots }).regular).toEqual(['faster', 'fast'])
  })

  it('is deterministic for a given random source', () => {
    const peers = Array.from({ length: 12 }, (_, i) => peer(`p${i}`, { downloadRate: i % 3 }))
    const a = decide(peers, { random: createRandom(3) })
    const b = decide(peers, { random: createRandom(3) })
    expect(a.regular).toEqual(b.regular)
    expect(a.optimistic).toBe(b.optimistic)
  })
})

describe('choker: optimistic unchoke', () => {
  it('keeps the holder for optimisticUnchokeInterval, then moves it to another peer', () => {
    const table = [
      peer('a', { downloadRate: 300 }), peer('b', { downloadRate: 200 }), peer('c', { downloadRate: 100 }),
      peer('w'), peer('x'), peer('y'), peer('z')
    ]
    // Rechoke every 10 s, rotation every 30 s: the holder changes every third round, never in between.
    const rounds = simulate(table, 60)
    const holders = rounds.map(d => d.optimistic)
    for (let round = 1; round < rounds.length; round++) {
      if (round % 3 === 0) expect(holders[round]).not.toBe(holders[round - 1])
      else expect(holders[round]).toBe(holders[round - 1])
    }
    expect(rounds.every(d => d.regular.join() === 'a,b,c')).toBe(true)
    expect(new Set(holders)).toEqual(new Set(['w', 'x', 'y', 'z']))
  })

  it('goes to another peer at once when its holder wins a regular slot', () => {
    const peers = [
      peer('a', { downloadRate: 300, slot: 'regular', slotSince: 0 }), peer('b', { downloadRate: 200, slot: 'regular', slotSince: 0 }),
      peer('c', { downloadRate: 1, slot: 'regular', slotSince: 0 }),
      peer('lucky', { downloadRate: 900, slot: 'optimistic' }), peer('next')
    ]
    const decision = decide(peers, { optimisticSince: NOW - 1000 })
    expect(decision.regular).toEqual(['lucky', 'a', 'b'])
    // 'c' lost its regular slot: it and 'next' are the candidates.
    expect(['c', 'next']).toContain(decision.optimistic)
    expect(decision.optimisticSince).toBe(NOW)
  })

  it('makes newly connected peers about three times as likely to get it', () => {
    const regular = ['a', 'b', 'c'].map((id, i) => peer(id, { downloadRate: 100 + i }))
    const old = ['o1', 'o2', 'o3', 'o4'].map(id => peer(id, { connectedAt: 0 }))
    const fresh = ['n1', 'n2'].map(id => peer(id, { connectedAt: NOW - 1000 }))
    const wins = new Map<string, number>()
    const draws = 20_000
    const random = createRandom(2024)
    for (let i = 0; i < draws; i++) {
      const { optimistic } = decide([...regular, ...old, ...fresh], { random })
      wins.set(optimistic as string, (wins.get(optimistic as string) ?? 0) + 1)
    }
    const perOld = old.reduce((n, p) => n + (wins.get(p.id) ?? 0), 0) / old.length
    const perNew = fresh.reduce((n, p) => n + (wins.get(p.id) ?? 0), 0) / fresh.length
    expect(NEW_PEER_WEIGHT).toBe(3)
    // Expected: 3 / 10 of the draws per new peer, 1 / 10 per old one.
    expect(perNew / perOld).toBeGreaterThan(2.6)
    expect(perNew / perOld).toBeLessThan(3.4)
    expect(wins.get('a')).toBeUndefined()
  })

  it('gives a peer that refuses to pay back a turn at most every REFUSER_OPTIMISTIC_DIVISOR intervals, even as the only candidate', () => {
    const rider = peer('rider', { withheld: true, bytesSent: 8 * MiB })
    const rounds = 10 * REFUSER_OPTIMISTIC_DIVISOR
    const decisions = simulate([peer('a', { downloadRate: 900 }), peer('b', { downloadRate: 800 }), peer('c', { downloadRate: 700 }), rider], rounds, { step: options.optimisticUnchokeInterval })
    const turns = decisions.filter(d => d.optimistic === 'rider').length
    expect(decisions.every(d => !d.regular.includes('rider'))).toBe(true)
    expect(turns).toBeGreaterThan(0)
    expect(turns).toBeLessThanOrEqual(rounds / REFUSER_OPTIMISTIC_DIVISOR)
    // A seeding node holds nobody to it: the rider is the only candidate every time.
    const seeding = simulate([peer('a', { uploadRate: 900 }), peer('b', { uploadRate: 800 }), peer('c', { uploadRate: 700 }), rider], rounds, { step: options.optimisticUnchokeInterval, seeding: true })
    expect(seeding.filter(d => d.optimistic === 'rider' || d.regular.includes('rider')).length).toBe(rounds)
  })

  it('stays vacant when every interested peer has a regular slot', () => {
    const decision = decide([peer('a'), peer('b'), peer('idle', { interested: false })])
    expect(decision.regular.sort()).toEqual(['a', 'b'])
    expect(decision.optimistic).toBeUndefined()
  })
})

describe('choker: seeding node', () => {
  it('ranks the peers it serves by how fast they take data', () => {
    const peers = [
      peer('slow', { uploadRate: 100, slot: 'regular', slotSince: NOW - 1000 }),
      peer('quick', { uploadRate: 900, slot: 'regular', slotSince: NOW - 1000 }),
      peer('mid', { uploadRate: 500, slot: 'regular', slotSince: NOW - 1000 }),
      // Sends us a lot, which means nothing to a seeder.
      peer('waiting', { downloadRate: 9999 })
    ]
    const decision = decide(peers, { seeding: true })
    expect(decision.regular).toEqual(['quick', 'mid', 'slow'])
    expect(decision.optimistic).toBe('waiting')
  })

  it('hands a slot on when its turn is over, to the peer waiting longest', () => {
    const turn = SEED_TURN_RECHOKES * options.rechokeInterval
    const peers = [
      peer('done', { uploadRate: 900, slot: 'regular', slotSince: NOW - turn }),
      peer('busy1', { uploadRate: 100, slot: 'regular', slotSince: NOW - 1000 }),
      peer('busy2', { uploadRate: 100, slot: 'regular', slotSince: NOW - 1000 }),
      peer('recent', { lastServedAt: NOW - 5000 }),
      peer('longest', { lastServedAt: NOW - 50_000 })
    ]
    const decision = decide(peers, { seeding: true })
    expect(new Set(decision.regular)).toEqual(new Set(['busy1', 'busy2', 'longest']))
    expect(decision.regular[2]).toBe('longest')
    // A holder that takes nothing for a whole period is handed on too.
    const idle = peers.map(p => p.id === 'done' ? { ...p, uploadRate: 0, slotSince: NOW - options.rechokeInterval } : p)
    expect(decide(idle, { seeding: true }).regular).not.toContain('done')
  })

  it('counts the optimistic holder as served: a choked peer gets the next turn first', () => {
    const turn = SEED_TURN_RECHOKES * options.rechokeInterval
    const peers = [
      peer('done', { uploadRate: 900, slot: 'regular', slotSince: NOW - turn }),
      peer('lucky', { slot: 'optimistic', lastServedAt: NOW - 90_000 }),
      peer('choked', { lastServedAt: NOW - 20_000 })
    ]
    const decision = decide(peers, { seeding: true, optimisticSince: NOW - 1000, options: { ...options, uploadSlots: 1 } })
    expect(decision.regular).toEqual(['choked'])
    expect(decision.optimistic).toBe('lucky')
    expect(decision.unchoked.has('done')).toBe(false)
  })

  it('rotates so that no interested peer is starved', () => {
    const table = Array.from({ length: 10 }, (_, i) => peer(`p${i}`, { uploadRate: (i + 1) * 100 }))
    const rounds = simulate(table, 40, { seeding: true })
    const served = new Map<string, number>()
    for (const d of rounds) for (const id of d.regular) served.set(id, (served.get(id) ?? 0) + 1)
    expect(served.size).toBe(10)
    // 40 rounds × 3 slots over 10 peers: about 12 rounds each; nobody far off.
    for (const count of served.values()) expect(count).toBeGreaterThanOrEqual(6)
    // Each turn lasts exactly SEED_TURN_RECHOKES rounds (turns cut off by the end of the run aside).
    for (const { id } of table) {
      let run = 0
      for (let r = 0; r < rounds.length; r++) {
        if (rounds[r].regular.includes(id)) { run++; continue }
        if (run > 0) expect(run).toBe(SEED_TURN_RECHOKES)
        run = 0
      }
    }
  })
})

describe('slotForNewcomer', () => {
  it('takes a free regular slot, else a vacant optimistic slot, else none', () => {
    expect(slotForNewcomer({ regularHeld: 2, optimisticHeld: true, uploadSlots: 3, snubbed: false })).toBe('regular')
    expect(slotForNewcomer({ regularHeld: 3, optimisticHeld: false, uploadSlots: 3, snubbed: false })).toBe('optimistic')
    expect(slotForNewcomer({ regularHeld: 3, optimisticHeld: true, uploadSlots: 3, snubbed: false })).toBeUndefined()
    expect(slotForNewcomer({ regularHeld: 0, optimisticHeld: false, uploadSlots: 3, snubbed: true })).toBe('optimistic')
    expect(slotForNewcomer({ regularHeld: 0, optimisticHeld: true, uploadSlots: 3, snubbed: true })).toBeUndefined()
    // A peer that refuses to pay back waits for the optimistic slot's draw.
    expect(slotForNewcomer({ regularHeld: 0, optimisticHeld: false, uploadSlots: 3, snubbed: false, refuses: true })).toBeUndefined()
  })
})

describe('UploadManager', () => {
  let now = 0
  const clock = (): number => now
  const turn = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

  function manager (uploadSlots: number, rejected: string[] = []): UploadManager {
    return new UploadManager({
      config: ChunkConfig.from({ uploadSlots, rechokeInterval: 10_000, optimisticUnchokeInterval: 60_000 }),
      clock,
      random: createRandom(5),
      log: silentLogger,
      events: { choked: (session) => { rejected.push(names.get(session) ?? '?') } }
    })
  }
  /** Test names of the sessions made by `sessions()`. */
  const names = new Map<PeerSession, string>()
  /** Real sessions of peers named by the labels, with the messages each was sent. */
  async function sessions (...labels: string[]): Promise<Array<PeerSession & { sent: string[] }>> {
    const made: SessionFixture[] = await Promise.all(labels.map(async (label) => await openSession(label, clock)))
    return made.map((fixture, i) => {
      names.set(fixture.session, labels[i])
      return Object.assign(fixture.session, { sent: fixture.sent })
    })
  }

  it('unchokes a new peer, gives it a free slot as soon as it is interested, and chokes it when none is free', async () => {
    const rejected: string[] = []
    const uploads = manager(1, rejected)
    const [a, b, c] = await sessions('a', 'b', 'c')
    for (const s of [a, b, c]) uploads.peerConnected(s)
    expect([a, b, c].map(s => s.sent)).toEqual([['unchoke'], ['unchoke'], ['unchoke']])
    uploads.addInterest(a, 'cid')
    uploads.addInterest(b, 'cid')
    uploads.addInterest(c, 'cid')
    expect(uploads.slotOf(a)).toBe('regular')
    expect(uploads.slotOf(b)).toBe('optimistic')
    expect(uploads.slotOf(c)).toBeUndefined()
    // Sent only on change: a and b stay unchoked without another message; c is choked and its requests rejected.
    expect([a.sent, b.sent, c.sent]).toEqual([['unchoke'], ['unchoke'], ['unchoke', 'choke']])
    expect(rejected).toEqual(['c'])
    uploads.addInterest(c, 'cid') // already interested: nothing happens
    expect(c.sent).toEqual(['unchoke', 'choke'])
    uploads.stop()
  })

  it('refills a slot freed by a peer that leaves or loses interest on the next event-loop turn', async () => {
    const uploads = manager(1)
    const [a, b, c] = await sessions('a', 'b', 'c')
    for (const s of [a, b, c]) { uploads.peerConnected(s); uploads.addInterest(s, 'cid') }
    expect(uploads.slotOf(c)).toBeUndefined()
    uploads.peerGone(a)
    a.close()
    await turn()
    expect(uploads.slotOf(c)).toBe('regular')
    expect(c.sent).toEqual(['unchoke', 'choke', 'unchoke'])
    // c loses interest: it keeps being unchoked (it costs nothing) but gives up its slot.
    uploads.removeInterest(c, 'cid')
    expect(uploads.slotOf(c)).toBeUndefined()
    expect(c.sent).toEqual(['unchoke', 'choke', 'unchoke'])
    uploads.stop()
  })

  it('rotates a seeding node\'s slot on rechoke and makes no decision once stopped', async () => {
    const uploads = manager(1)
    const [a, b, c] = await sessions('a', 'b', 'c')
    for (const s of [a, b, c]) { uploads.peerConnected(s); uploads.addInterest(s, 'cid') }
    now += SEED_TURN_RECHOKES * 10_000
    uploads.rechoke()
    // a's turn is over and c has waited longest: c takes the regular slot, b keeps the optimistic one.
    expect([uploads.slotOf(a), uploads.slotOf(b), uploads.slotOf(c)]).toEqual([undefined, 'optimistic', 'regular'])
    expect(a.sent.at(-1)).toBe('choke')
    uploads.stop()
    now += SEED_TURN_RECHOKES * 10_000
    uploads.rechoke()
    expect(uploads.slotOf(c)).toBe('regular')
  })

  it('takes a regular slot back at once from a peer that crosses the refusal line while the node downloads', async () => {
    const rejected: string[] = []
    const uploads = manager(1, rejected)
    uploads.setSeeding(false)
    const [a, b, c] = await sessions('a', 'b', 'c')
    for (const s of [a, b, c]) { uploads.peerConnected(s); uploads.addInterest(s, 'cid') }
    expect([uploads.slotOf(a), uploads.slotOf(b)]).toEqual(['regular', 'optimistic'])
    const chunk = (bytes: number): void => { a.send({ type: 'data', id: 1, bytes: new Uint8Array(bytes) }); uploads.chunkServed(a) }
    // a has kept nothing from us (we never needed its chunks): it keeps its slot past the grace allowance.
    chunk(RATIO_GRACE_BYTES)
    expect(uploads.slotOf(a)).toBe('regular')
    // We want a's chunks but have not had to ask it: being interested alone holds it to nothing.
    a.declareInterest('cid', CONTENT, true)
    chunk(1)
    expect(uploads.slotOf(a)).toBe('regular')
    // It refuses a request of ours: even once we want nothing more from it, the next chunk it gets costs it the slot.
    a.markWithheld()
    a.declareInterest('cid', CONTENT, false)
    chunk(1)
    expect(uploads.slotOf(a)).toBeUndefined()
    expect(a.sent.at(-1)).toBe('choke')
    expect(rejected).toEqual(['c', 'a'])
    // The freed slot goes to the peer waiting (c) on the next turn, not back to a.
    await turn()
    expect(uploads.slotOf(c)).toBe('regular')
    expect(uploads.slotOf(a)).toBeUndefined()
    uploads.stop()
  })

  it('holds a peer to the refusal line at the rechoke after it kept us choked for a rechoke interval while we wanted its chunks', async () => {
    const uploads = manager(1)
    uploads.setSeeding(false)
    // a is the only interested peer: below the ratio, it keeps the spare slot while it withholds nothing.
    const [a] = await sessions('a')
    uploads.peerConnected(a)
    uploads.addInterest(a, 'cid')
    a.send({ type: 'data', id: 1, bytes: new Uint8Array(4 * RATIO_GRACE_BYTES) })
    uploads.chunkServed(a)
    expect(uploads.slotOf(a)).toBe('regular')
    // We want a's chunks; it keeps us choked (every session starts choked) through a rechoke interval.
    a.declareInterest('cid', CONTENT, true)
    now += 10_000 - 1
    uploads.rechoke()
    expect(uploads.slotOf(a)).toBe('regular')
    now += 1
    uploads.rechoke()
    // No regular slot, and the optimistic one only after it has rested (it was just served).
    expect(uploads.slotOf(a)).toBeUndefined()
    expect(a.sent.at(-1)).toBe('choke')
    uploads.stop()
  })

  it('holds nobody to the refusal line once the node only seeds', async () => {
    const uploads = manager(1)
    const [a] = await sessions('a')
    uploads.peerConnected(a)
    uploads.addInterest(a, 'cid')
    a.declareInterest('cid', CONTENT, true)
    a.send({ type: 'data', id: 1, bytes: new Uint8Array(4 * RATIO_GRACE_BYTES) })
    uploads.chunkServed(a)
    expect(uploads.slotOf(a)).toBe('regular')
    uploads.stop()
  })

  it('chokes nobody while open to all (super-seeding), and chokes again as soon as that ends', async () => {
    const rejected: string[] = []
    const uploads = manager(1, rejected)
    uploads.setOpenToAll(true)
    const peers = await sessions('a', 'b', 'c', 'd')
    for (const s of peers) { uploads.peerConnected(s); uploads.addInterest(s, 'cid') }
    uploads.rechoke()
    expect(peers.map(s => s.sent)).toEqual([['unchoke'], ['unchoke'], ['unchoke'], ['unchoke']])
    expect(rejected).toEqual([])
    // Slots are still kept, so choking resumes sensibly: one regular, one optimistic, two choked.
    expect(peers.filter(s => uploads.slotOf(s) !== undefined)).toHaveLength(2)
    uploads.setOpenToAll(false)
    expect(peers.filter(s => s.sent.at(-1) === 'choke')).toHaveLength(2)
    expect(rejected).toHaveLength(2)
    uploads.stop()
  })
})
