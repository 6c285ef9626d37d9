import { describe, expect, it } from 'vitest'
import { InflightRequests, ENDGAME_DUPLICATES } from '../src/download/inflight-requests.js'
import { PeerDownload } from '../src/download/peer-download.js'
import { PeerHoldings } from '@codio-chunk/pieces'
import type { ChunkRequest } from '../src/download/peer-download.js'
import type { OutgoingRequest, PeerSession } from '../src/peers/peer-session.js'

/** A session that records what the requests were cancelled with. */
function fakeSession (name: string): PeerSession & { cancelled: Array<{ id: number, reason: string, silent: boolean }> } {
  const cancelled: Array<{ id: number, reason: string, silent: boolean }> = []
  return {
    peerId: name,
    cancelled,
    cancel (request: OutgoingRequest, error: Error, silent = false) { cancelled.push({ id: request.id, reason: error.message, silent }) }
  } as unknown as PeerSession & { cancelled: typeof cancelled }
}

function seeder (chunks: number): PeerDownload {
  const holdings = new PeerHoldings(chunks)
  holdings.markComplete()
  return new PeerDownload(holdings, () => 0)
}

function setup (): { inflight: InflightRequests, a: ReturnType<typeof fakeSession>, b: ReturnType<typeof fakeSession>, peers: Map<PeerSession, PeerDownload> } {
  const a = fakeSession('a')
  const b = fakeSession('b')
  const peers = new Map<PeerSession, PeerDownload>([[a, seeder(10)], [b, seeder(10)]])
  return { inflight: new InflightRequests((s) => peers.get(s)), a, b, peers }
}

let nextId = 1
const sent = (index: number, session: PeerSession, deadline = 1000): ChunkRequest =>
  ({ index, session, request: { id: nextId++, sentAt: 0, deadline, onOutcome: () => {} } })

describe('InflightRequests', () => {
  it('tracks requests by chunk and counts them per peer', () => {
    const { inflight, a, b, peers } = setup()
    const first = sent(3, a)
    expect(inflight.add(first)).toBe(true)
    expect(inflight.add(sent(3, b))).toBe(false) // a duplicate: the chunk was already requested
    expect(inflight.isRequested(3)).toBe(true)
    expect(inflight.has(first)).toBe(true)
    expect(inflight.size).toBe(1)
    expect(peers.get(a)?.inflight).toBe(1)
    expect(peers.get(b)?.inflight).toBe(1)
    expect(inflight.remove(first)).toBe(false) // b still fetches chunk 3
    expect(inflight.remove(first)).toBe(false) // already gone
    expect(peers.get(a)?.inflight).toBe(0)
    expect(inflight.has(first)).toBe(false)
  })

  it('reports the chunk released when its last request goes, and gives up a waiting place', () => {
    const { inflight, a } = setup()
    const waiting = new AbortController()
    const entry: ChunkRequest = { index: 5, session: a, waiting }
    inflight.add(entry)
    expect(inflight.remove(entry)).toBe(true)
    expect(waiting.signal.aborted).toBe(true)
    expect(inflight.isRequested(5)).toBe(false)
  })

  it('ends every request of one session, cancelling them silently, and says which chunks nobody fetches', () => {
    const { inflight, a, b } = setup()
    inflight.add(sent(1, a))
    inflight.add(sent(2, a))
    inflight.add(sent(2, b))
    const released: number[] = []
    expect(inflight.removeSession(a, 'peer choked us', (i) => released.push(i))).toBe(true)
    expect(released).toEqual([1])
    expect(a.cancelled.map(c => [c.reason, c.silent])).toEqual([['peer choked us', true], ['peer choked us', true]])
    expect(inflight.isRequested(2)).toBe(true)
    expect(inflight.removeSession(a, 'again', () => {})).toBe(false)
  })

  it('cancels every copy of a chunk that arrived, and everything when the download ends', () => {
    const { inflight, a, b, peers } = setup()
    inflight.add(sent(4, a))
    inflight.add(sent(4, b))
    inflight.add(sent(6, b))
    inflight.cancelChunk(4, 'chunk arrived from another peer')
    expect(inflight.isRequested(4)).toBe(false)
    expect(a.cancelled).toHaveLength(1)
    expect(peers.get(a)?.inflight).toBe(0)
    expect(peers.get(b)?.inflight).toBe(1)
    inflight.cancelAll('download finished')
    expect(inflight.size).toBe(0)
    expect(b.cancelled.map(c => c.reason)).toEqual(['chunk arrived from another peer', 'download finished'])
  })

  it('picks the least duplicated chunk for endgame, never one the peer already fetches', () => {
    const { inflight, a, b } = setup()
    const c = fakeSession('c')
    inflight.add(sent(7, a))
    inflight.add(sent(7, b))
    inflight.add(sent(8, b))
    expect(inflight.endgamePick(c, seeder(10))).toBe(8)
    expect(inflight.endgamePick(b, seeder(10))).toBe(undefined) // b fetches both already
    const partial = new PeerHoldings(10)
    partial.add(7)
    expect(inflight.endgamePick(c, new PeerDownload(partial, () => 0))).toBe(7) // c lacks chunk 8
    for (let k = 1; k < ENDGAME_DUPLICATES; k++) inflight.add(sent(8, fakeSession(`x${k}`)))
    inflight.add(sent(7, fakeSession('y')))
    expect(inflight.endgamePick(c, seeder(10))).toBe(undefined) // both at the duplicate limit
  })

  it('visits only requests sent whose deadline has passed', () => {
    const { inflight, a, b } = setup()
    inflight.add(sent(1, a, 50))
    inflight.add(sent(2, b, 500))
    inflight.add({ index: 3, session: a }) // not sent yet: no deadline
    const expired: number[] = []
    inflight.forEachExpired(100, (entry) => { expired.push(entry.index); inflight.remove(entry) })
    expect(expired).toEqual([1])
    expect(inflight.isRequested(1)).toBe(false)
    expect(inflight.isRequested(2)).toBe(true)
  })

  it('cancels only the requests that cancelWhere selects, releasing a chunk nobody fetches any more', () => {
    const { inflight, a, b, peers } = setup()
    inflight.add(sent(4, a))
    inflight.add(sent(4, b))
    const released: number[] = []
    expect(inflight.cancelWhere(4, (entry) => entry.session === a, 'moved', (i) => released.push(i))).toEqual([a])
    expect(a.cancelled).toEqual([expect.objectContaining({ reason: 'moved', silent: true })])
    expect(b.cancelled).toEqual([])
    expect(released).toEqual([]) // b still fetches it
    expect(peers.get(a)?.inflight).toBe(0)
    expect(inflight.cancelWhere(4, () => true, 'moved', (i) => released.push(i))).toEqual([b])
    expect(released).toEqual([4])
    expect(inflight.isRequested(4)).toBe(false)
    expect(inflight.cancelWhere(4, () => true, 'moved', (i) => released.push(i))).toEqual([]) // nothing left
  })
})
