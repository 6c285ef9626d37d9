import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { openSession } from './session-fixture.js'

const CONTENT = CID.parse('bafkqaaa')
const GRACE = 10_000

describe('PeerSession.withholds: whether a peer has kept chunks from us', () => {
  it('is false for a peer we are interested in but never had to ask, however long that lasts, if it does not choke us', async () => {
    let now = 0
    const { session, receive } = await openSession('a', () => now)
    receive({ type: 'unchoke' })
    session.declareInterest('cid', CONTENT, true)
    now += 10 * GRACE
    expect(session.withholds(now, GRACE)).toBe(false)
  })

  it('is true once the peer kept us choked for the grace period while we were interested, and stays true', async () => {
    let now = 0
    const { session, receive } = await openSession('a', () => now)
    session.declareInterest('cid', CONTENT, true)
    now += GRACE - 1
    expect(session.withholds(now, GRACE)).toBe(false)
    now += 1
    expect(session.withholds(now, GRACE)).toBe(true)
    // It unchokes us and we lose interest: what it did is not forgotten.
    receive({ type: 'unchoke' })
    session.declareInterest('cid', CONTENT, false)
    expect(session.withholds(now, GRACE)).toBe(true)
  })

  it('counts a choke from when it began, not from when we became interested', async () => {
    let now = 0
    const { session, receive } = await openSession('a', () => now)
    receive({ type: 'unchoke' })
    session.declareInterest('cid', CONTENT, true)
    now += 5 * GRACE
    receive({ type: 'choke' })
    now += GRACE - 1
    expect(session.withholds(now, GRACE)).toBe(false)
    now += 1
    expect(session.withholds(now, GRACE)).toBe(true)
  })

  it('is true when a request of ours waited the grace period with no data from the peer meanwhile', async () => {
    let now = 0
    const { session, receive, messages } = await openSession('a', () => now)
    receive({ type: 'unchoke' })
    session.declareInterest('cid', CONTENT, true)
    const ask = (): number => {
      session.request({ type: 'request-chunk', content: CONTENT, index: 0 }, 60_000, () => {})
      const sent = messages.at(-1)
      if (sent?.type !== 'request-chunk') throw new Error('no request sent')
      return sent.id
    }
    // Answered within the grace period, again and again: a slow but honest peer.
    for (let i = 0; i < 5; i++) {
      const id = ask()
      now += GRACE - 1
      expect(session.withholds(now, GRACE)).toBe(false)
      receive({ type: 'data', id, bytes: new Uint8Array(16) })
    }
    // Data keeps arriving for other requests while one waits: still honest.
    const waiting = ask()
    now += GRACE / 2
    receive({ type: 'data', id: ask(), bytes: new Uint8Array(16) })
    now += GRACE / 2 + 1
    expect(session.withholds(now, GRACE)).toBe(false)
    // Nothing for the grace period while it waits.
    now += GRACE
    expect(session.withholds(now, GRACE)).toBe(true)
    expect(waiting).toBeGreaterThan(0)
  })

  it('is true once a request of ours was refused or timed out (markWithheld)', async () => {
    const { session } = await openSession('a', () => 0)
    expect(session.withholds(0, GRACE)).toBe(false)
    session.markWithheld()
    expect(session.withholds(0, GRACE)).toBe(true)
  })
})
