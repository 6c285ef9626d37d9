import { describe, expect, it } from 'vitest'
import { ContentId } from '@codio-chunk/interface'
import { MAX_TRACKED_REQUESTS, RequestLedger } from '../src/index.js'

const content = ContentId.parse('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e').cid

describe('RequestLedger', () => {
  it('says which of our answers close an open request of the peer, once', () => {
    const ledger = new RequestLedger()
    ledger.received({ type: 'request-chunk', id: 7, content, index: 0 })
    ledger.received({ type: 'request-block', id: 8, content, block: content })
    ledger.received({ type: 'request-chunk', id: 9, content, index: 1 })
    ledger.received({ type: 'cancel', id: 9 })
    expect(ledger.sending({ type: 'data', id: 7, bytes: new Uint8Array(1) })).toBe(true)
    expect(ledger.sending({ type: 'data', id: 7, bytes: new Uint8Array(1) })).toBe(false)
    expect(ledger.sending({ type: 'reject', id: 8, code: 1, reason: 'no' })).toBe(true)
    expect(ledger.sending({ type: 'reject', id: 9, code: 1, reason: 'no' })).toBe(false)
    expect(ledger.sending({ type: 'choke' })).toBe(false)
  })

  it('knows which of our requests still wait: until answered or cancelled', () => {
    const ledger = new RequestLedger()
    ledger.sending({ type: 'request-chunk', id: 1, content, index: 3 })
    ledger.sending({ type: 'request-chunk', id: 2, content, index: 4 })
    ledger.sending({ type: 'request-chunk', id: 3, content, index: 5 })
    expect([1, 2, 3, 4].map(id => ledger.awaits(id))).toEqual([true, true, true, false])
    ledger.sending({ type: 'cancel', id: 2 })
    ledger.received({ type: 'data', id: 3, bytes: new Uint8Array(1) })
    expect(ledger.answered(1)).toBe(true)
    expect(ledger.answered(1)).toBe(false)
    expect([1, 2, 3].map(id => ledger.awaits(id))).toEqual([false, false, false])
  })

  it('tracks at most MAX_TRACKED_REQUESTS of the peer\'s requests, however many it sends', () => {
    const ledger = new RequestLedger()
    for (let id = 0; id < MAX_TRACKED_REQUESTS + 100; id++) ledger.received({ type: 'request-chunk', id, content, index: 0 })
    expect(ledger.sending({ type: 'data', id: MAX_TRACKED_REQUESTS - 1, bytes: new Uint8Array(1) })).toBe(true)
    expect(ledger.sending({ type: 'data', id: MAX_TRACKED_REQUESTS + 50, bytes: new Uint8Array(1) })).toBe(false)
  })
})
