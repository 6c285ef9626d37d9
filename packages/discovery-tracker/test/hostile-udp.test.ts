// What a UDP tracker (BEP 15) may send, written by hand: wrong transaction ids, truncated packets,
// wrong actions, error packets, floods of peers, silence.
import dgram from 'node:dgram'
import { describe, expect, it } from 'vitest'
import { AbortError } from '@codio-chunk/interface'
import { MAX_PEERS_PER_LOOKUP, PEER_ID_PREFIX, TrackerFailureError, TrackerTimeoutError, infoHashOf } from '../src/index.js'
import { addressesOf, closedAfterEach, compact, contentId, lookup, makeDiscovery, manyPeers, provideFailure, recordingLogger, within } from './helpers.js'
import { announceAnswer, connectAnswer, errorAnswer, honest, startUdpTracker } from './udp-server.js'
import type { AddressInfo } from 'node:net'
import type { UdpRequest } from './udp-server.js'

const cid = contentId('hostile udp')
const tracker = closedAfterEach(startUdpTracker)

/** provide()'s only cause of failure. */
async function provideFails (announce: string, timeout?: number): Promise<Error> {
  return await provideFailure(announce, cid, timeout)
}

const later = (ms: number, action: () => void): void => { setTimeout(action, ms) }

describe('a UDP tracker', () => {
  it('is sent a connect, then announces carrying its connection id, reused while it lasts', async () => {
    const { announce, requests } = await tracker(honest(Buffer.alloc(0)))
    const discovery = makeDiscovery({ announce: [announce], numWant: 25 }, ['tcp://127.0.0.1:45002'])
    await discovery.provide(cid)
    await lookup(discovery, contentId('another'))
    await discovery.stop()
    expect(requests.map(r => r.action)).toEqual([0, 1, 1, 1, 1])
    expect(requests[0].connectionId.toString('hex')).toBe('0000041727101980')
    const [provide, find] = requests.slice(1)
    expect(provide.connectionId.toString('hex')).toBe('c0ffee00c0ffee00')
    expect(provide.packet).toHaveLength(98)
    expect(provide.packet.subarray(16, 36)).toEqual(Buffer.from(infoHashOf(cid)))
    expect(provide.packet.subarray(36, 44).toString()).toBe(PEER_ID_PREFIX)
    expect(provide.packet.readBigUInt64BE(64)).toBe(0n) // left
    expect(provide.packet.readUInt32BE(80)).toBe(2) // started
    expect(provide.packet.readUInt16BE(96)).toBe(45002)
    expect(find.packet.readBigUInt64BE(64)).toBe(1n)
    expect(find.packet.readInt32BE(92)).toBe(25)
    expect(requests.slice(3).map(r => r.packet.readUInt32BE(80))).toEqual([3, 3]) // stopped, both swarms
  })

  it('ignores answers with a wrong transaction id, and still takes the right one', async () => {
    const { factory, lines } = recordingLogger()
    const { announce } = await tracker((request, reply) => {
      const right = request.action === 0 ? connectAnswer(request.transactionId) : announceAnswer(request.transactionId, compact([['127.0.0.2', 7001]]))
      const wrong = Buffer.from(right)
      wrong.writeUInt32BE((request.transactionId + 1) >>> 0, 4)
      reply(wrong)
      later(30, () => reply(right))
    })
    expect(addressesOf(await lookup(makeDiscovery({ announce: [announce] }, [], factory), cid))).toEqual(['tcp://127.0.0.2:7001'])
    expect(lines.filter(l => l.includes('unknown transaction')).length).toBeGreaterThanOrEqual(2)
  })

  it('times out when every answer has a wrong transaction id', async () => {
    const { announce } = await tracker((request, reply) => reply(connectAnswer((request.transactionId ^ 0xffff) >>> 0)))
    expect(await provideFails(announce, 400)).toBeInstanceOf(TrackerTimeoutError)
  })

  it('ignores truncated packets and answers of the wrong action', async () => {
    const { factory, lines } = recordingLogger()
    const { announce } = await tracker((request, reply) => {
      if (request.action === 0) {
        reply(Buffer.alloc(5))
        reply(connectAnswer(request.transactionId).subarray(0, 12))
        reply(announceAnswer(request.transactionId, Buffer.alloc(0))) // an announce answer to a connect
        later(30, () => reply(connectAnswer(request.transactionId)))
      } else {
        reply(announceAnswer(request.transactionId, Buffer.alloc(0)).subarray(0, 15))
        later(30, () => reply(announceAnswer(request.transactionId, compact([['127.0.0.2', 7001]]))))
      }
    })
    expect(addressesOf(await lookup(makeDiscovery({ announce: [announce] }, [], factory), cid))).toEqual(['tcp://127.0.0.2:7001'])
    for (const what of ['5-byte packet', 'truncated connect answer', 'truncated announce answer', 'a connect request with a announce answer']) {
      expect(lines.some(l => l.includes(what)), what).toBe(true)
    }
  })

  it('keeps at most MAX_PEERS_PER_LOOKUP of a packet full of peers, and ignores a partial last entry', async () => {
    const { factory, lines } = recordingLogger()
    const { announce } = await tracker(honest(Buffer.concat([compact(manyPeers(10_000)), Buffer.from([1, 2, 3])])))
    const found = await lookup(makeDiscovery({ announce: [announce] }, [], factory), cid)
    expect(found).toHaveLength(MAX_PEERS_PER_LOOKUP)
    expect(lines.some(l => l.includes('3 bytes after the last whole peer ignored'))).toBe(true)
  })

  it('skips peers at a wildcard address, at port 0 or at the lookup-only port', async () => {
    const { announce } = await tracker(honest(compact([['0.0.0.0', 7001], ['127.0.0.2', 0], ['127.0.0.3', 1], ['127.0.0.4', 7004], ['127.0.0.4', 7004]])))
    expect(addressesOf(await lookup(makeDiscovery({ announce: [announce] }), cid))).toEqual(['tcp://127.0.0.4:7004'])
  })

  it('logs an error packet: a lookup ends empty, provide() rejects with the message', async () => {
    const { factory, lines } = recordingLogger()
    const { announce } = await tracker((request, reply) => {
      reply(request.action === 0 ? connectAnswer(request.transactionId) : errorAnswer(request.transactionId, 'torrent not registered'))
    })
    expect(await lookup(makeDiscovery({ announce: [announce] }, [], factory), cid)).toEqual([])
    expect(lines.some(l => l.includes('torrent not registered'))).toBe(true)
    const err = await provideFails(announce)
    expect(err).toBeInstanceOf(TrackerFailureError)
    expect((err as TrackerFailureError).reason).toBe('torrent not registered')
  })

  it('retransmits to a silent tracker, then gives up at the timeout', async () => {
    const { announce, requests } = await tracker(() => {})
    const started = performance.now()
    expect(await provideFails(announce, 1600)).toBeInstanceOf(TrackerTimeoutError)
    expect(performance.now() - started).toBeLessThan(4000)
    const connects = requests.filter((r: UdpRequest) => r.action === 0)
    expect(connects.length).toBeGreaterThanOrEqual(2)
    expect(new Set(connects.map(r => r.transactionId)).size).toBe(1)
  })

  it('ends a lookup at once, without an error, when its signal aborts; provide() rejects with an AbortError', async () => {
    const { announce } = await tracker(() => {})
    const discovery = makeDiscovery({ announce: [announce], timeout: 60_000, stopTimeout: 300 }, ['tcp://127.0.0.1:45003'])
    const started = performance.now()
    const found = []
    for await (const record of discovery.findProviders(cid, { signal: AbortSignal.timeout(100) })) found.push(record)
    expect(found).toEqual([])
    expect(performance.now() - started).toBeLessThan(2000)
    await expect(within(discovery.provide(cid, { signal: AbortSignal.timeout(100) }), 'provide')).rejects.toBeInstanceOf(AbortError)
    const stopping = performance.now()
    await within(discovery.stop(), 'stop')
    expect(performance.now() - stopping).toBeLessThan(1500)
  })

  it('fails without waiting for the timeout when nothing listens on the port', async () => {
    const socket = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
    const port = (socket.address() as AddressInfo).port
    await new Promise<void>((resolve) => socket.close(() => resolve()))
    const started = performance.now()
    const err = await provideFails(`udp://127.0.0.1:${port}`, 8000)
    expect(err.name).toBe('TrackerError')
    expect(performance.now() - started).toBeLessThan(4000)
  })
})
