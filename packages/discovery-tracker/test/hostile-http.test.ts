// What an HTTP tracker may send, written by hand: floods of peers, malformed bencode, huge or
// endless bodies, silence, failure reasons, redirects. None of it may throw into the caller of
// findProviders, crash the process, or be read without bound.
import { describe, expect, it } from 'vitest'
import { AbortError } from '@codio-chunk/interface'
import {
  MAX_PEERS_PER_LOOKUP, MAX_RESPONSE_BYTES, PEER_ID_PREFIX, TrackerFailureError,
  TrackerResponseError, TrackerTimeoutError, infoHashOf
} from '../src/index.js'
import { addressesOf, closedAfterEach, bencode, compact, contentId, lookup, makeDiscovery, manyPeers, provideFailure, recordingLogger, within } from './helpers.js'
import { startHttpTracker } from './http-server.js'

const cid = contentId('hostile http')
const tracker = closedAfterEach(startHttpTracker)

/** provide()'s only cause of failure. */
async function provideFails (announce: string, timeout?: number): Promise<Error> {
  return await provideFailure(announce, cid, timeout)
}

describe('an HTTP tracker', () => {
  it('is sent the info hash, the peer id, the port, left and numwant, compact', async () => {
    const { announce, requests } = await tracker((_req, res) => res.end(bencode({ interval: 600, peers: Buffer.alloc(0) })))
    const discovery = makeDiscovery({ announce: [announce], numWant: 30 }, ['tcp://127.0.0.1:44002'])
    await discovery.provide(cid)
    await discovery.provide(cid)
    await lookup(discovery, contentId('other content'))
    await discovery.stop()
    expect(requests.map(r => r.path)).toEqual(['/announce', '/announce', '/announce', '/announce', '/announce'])
    const [first, second, find] = requests
    expect(first.params.get('info_hash')).toEqual(Buffer.from(infoHashOf(cid)))
    expect(first.params.get('peer_id')?.subarray(0, 8).toString()).toBe(PEER_ID_PREFIX)
    expect(first.params.get('peer_id')).toHaveLength(20)
    expect(Object.fromEntries([...first.params].filter(([k]) => ['port', 'left', 'event', 'compact', 'numwant'].includes(k)).map(([k, v]) => [k, v.toString()])))
      .toEqual({ port: '44002', left: '0', event: 'started', compact: '1', numwant: '0' })
    expect(second.params.has('event')).toBe(false)
    expect(find.params.get('left')?.toString()).toBe('1')
    expect(find.params.get('numwant')?.toString()).toBe('30')
    // stop() said "stopped" for both swarms it joined.
    expect(requests.slice(3).map(r => r.params.get('event')?.toString())).toEqual(['stopped', 'stopped'])
  })

  it('is asked for at most MAX_PEERS_PER_LOOKUP peers in all, however many it sends', async () => {
    const { announce } = await tracker((_req, res) => res.end(bencode({ interval: 600, peers: compact(manyPeers(20_000)) })))
    const found = await lookup(makeDiscovery({ announce: [announce] }), cid)
    expect(found).toHaveLength(MAX_PEERS_PER_LOOKUP)
    expect(new Set(addressesOf(found)).size).toBe(MAX_PEERS_PER_LOOKUP)
  })

  it('is read in the dictionary model too, skipping entries that are not an IP address and a port', async () => {
    const peers = [
      { ip: '127.0.0.2', port: 7001, 'peer id': Buffer.alloc(20, 1) },
      { ip: '::1', port: 7002 },
      { ip: 'tracker.example', port: 7003 },
      { ip: '0.0.0.0', port: 7004 },
      { ip: '127.0.0.3', port: 0 },
      { ip: '127.0.0.4', port: 70000 },
      { ip: '127.0.0.5' },
      'not a dictionary',
      { ip: '::ffff:127.0.0.6', port: 7005 },
      { ip: '127.0.0.7', port: 1 }
    ]
    const { announce } = await tracker((_req, res) => res.end(bencode({ interval: 600, peers })))
    expect(addressesOf(await lookup(makeDiscovery({ announce: [announce] }), cid)))
      .toEqual(['tcp://127.0.0.2:7001', 'tcp://127.0.0.6:7005', 'tcp://[::1]:7002'])
  })

  it('never lists this node to itself, by address or by peer id', async () => {
    const { announce } = await tracker((_req, res, seen) => {
      const self = seen.params.get('peer_id') as Buffer
      res.end(bencode({ interval: 600, peers: [{ ip: '127.0.0.9', port: 7009, 'peer id': self }, { ip: '127.0.0.1', port: 44003 }, { ip: '127.0.0.8', port: 7008 }] }))
    })
    const discovery = makeDiscovery({ announce: [announce] }, ['tcp://0.0.0.0:44003'])
    expect(addressesOf(await lookup(discovery, cid))).toEqual(['tcp://127.0.0.8:7008'])
    await discovery.stop()
  })

  it.each([
    ['a negative string length (which makes the npm bencode 4.0.1 loop)', 'l-3:'],
    ['an unterminated dictionary', 'd8:intervali5e'],
    ['a string longer than the body', 'd5:peers999:abc'],
    ['a list where a dictionary belongs', 'li1ee'],
    ['deep nesting', 'l'.repeat(100_000)],
    ['a compact peer list of 7 bytes', 'd5:peers7:abcdefge'],
    ['trailing garbage', 'd8:intervali5eegarbage'],
    ['an empty body', '']
  ])('ends a lookup empty and fails provide() on %s', async (_what, body) => {
    const { factory, lines } = recordingLogger()
    const { announce } = await tracker((_req, res) => res.end(body))
    expect(await lookup(makeDiscovery({ announce: [announce] }, [], factory), cid)).toEqual([])
    expect(lines.some(l => l.includes('failed'))).toBe(true)
    expect(await provideFails(announce)).toBeInstanceOf(TrackerResponseError)
  })

  it('stops reading an answer longer than MAX_RESPONSE_BYTES, whether announced or streamed', async () => {
    let written = 0
    const endless = await tracker((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      const write = (): void => {
        while (written < 64 * MAX_RESPONSE_BYTES && !res.destroyed) {
          written += chunk.length
          if (!res.write(chunk)) {
            res.once('drain', write)
            return
          }
        }
      }
      res.write('d5:peers99999999:')
      write()
    })
    const err = await provideFails(endless.announce)
    expect(err).toBeInstanceOf(TrackerResponseError)
    expect(err.message).toContain(`longer than ${MAX_RESPONSE_BYTES} bytes`)
    await within(endless.requests[0].closed, 'the connection to close')
    expect(written).toBeLessThan(8 * MAX_RESPONSE_BYTES)

    const declared = await tracker((_req, res) => {
      res.writeHead(200, { 'content-length': String(1024 * MAX_RESPONSE_BYTES) })
      res.write('d')
    })
    expect((await provideFails(declared.announce)).message).toContain('longer than')
  })

  it('gives up on a silent tracker after the timeout', async () => {
    const { announce, requests } = await tracker(() => {})
    const started = performance.now()
    expect(await lookup(makeDiscovery({ announce: [announce], timeout: 300 }), cid)).toEqual([])
    expect(performance.now() - started).toBeLessThan(3000)
    await within(requests[0].closed, 'the request to be dropped')
    expect(await provideFails(announce, 300)).toBeInstanceOf(TrackerTimeoutError)
  })

  it('gives up on a tracker that answers a byte at a time after the timeout', async () => {
    const timers: Array<ReturnType<typeof setInterval>> = []
    const { announce } = await tracker((_req, res) => {
      res.write('d')
      timers.push(setInterval(() => res.write('l'), 20))
    })
    try {
      expect(await provideFails(announce, 400)).toBeInstanceOf(TrackerTimeoutError)
    } finally {
      timers.forEach(clearInterval)
    }
  })

  it('ends a lookup at once, without an error, when its signal aborts', async () => {
    const { announce, requests } = await tracker(() => {})
    const discovery = makeDiscovery({ announce: [announce], timeout: 60_000, stopTimeout: 300 })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const started = performance.now()
    const found = []
    for await (const record of discovery.findProviders(cid, { signal: controller.signal })) found.push(record)
    expect(found).toEqual([])
    expect(performance.now() - started).toBeLessThan(2000)
    await within(requests[0].closed, 'the request to be dropped')
    // provide() rejects with an AbortError instead.
    const provider = makeDiscovery({ announce: [announce], timeout: 60_000, stopTimeout: 300 }, ['tcp://127.0.0.1:44004'])
    await expect(within(provider.provide(cid, { signal: AbortSignal.timeout(100) }), 'provide')).rejects.toBeInstanceOf(AbortError)
    // The tracker may have listed it before the answer was cut short: stop() says "stopped",
    // and gives up on this silent tracker after stopTimeout.
    const stopping = performance.now()
    await within(provider.stop(), 'stop')
    expect(performance.now() - stopping).toBeLessThan(1500)
    expect(requests.at(-1)?.params.get('event')?.toString()).toBe('stopped')
  })

  it('takes back a listing whose announce stop() cut short', async () => {
    const { announce, requests } = await tracker((_req, res, seen) => {
      if (seen.params.get('event')?.toString() === 'stopped') res.end(bencode({ interval: 600, peers: Buffer.alloc(0) }))
    })
    const discovery = makeDiscovery({ announce: [announce], timeout: 60_000 }, ['tcp://127.0.0.1:44006'])
    const providing = discovery.provide(cid).catch((err: unknown) => err)
    await within((async () => { while (requests.length === 0) await new Promise(resolve => setTimeout(resolve, 5)) })(), 'the announce to arrive')
    await within(discovery.stop(), 'stop')
    expect((await providing as Error).name).toBe('DiscoveryStoppedError')
    expect(requests.map(r => r.params.get('event')?.toString())).toEqual(['started', 'stopped'])
  })

  it('logs a failure reason: a lookup ends empty, provide() rejects with the reason', async () => {
    const { factory, lines } = recordingLogger()
    const { announce } = await tracker((_req, res) => res.end(bencode({ 'failure reason': 'info hash not allowed\n\u0007' })))
    expect(await lookup(makeDiscovery({ announce: [announce] }, [], factory), cid)).toEqual([])
    expect(lines.some(l => l.includes('info hash not allowed'))).toBe(true)
    const err = await provideFails(announce)
    expect(err).toBeInstanceOf(TrackerFailureError)
    expect((err as TrackerFailureError).reason).toBe('info hash not allowed')
  })

  it('reads a failure reason sent with an error status, and names other statuses', async () => {
    const refusing = await tracker((_req, res) => { res.statusCode = 400; res.end(bencode({ 'failure reason': 'bad passkey' })) })
    expect(await provideFails(refusing.announce)).toBeInstanceOf(TrackerFailureError)
    const broken = await tracker((_req, res) => { res.statusCode = 500; res.end('<html>oops</html>') })
    const err = await provideFails(broken.announce)
    expect(err).toBeInstanceOf(TrackerResponseError)
    expect(err.message).toContain('HTTP status 500')
  })

  it('resolves provide() when one tracker of two accepts, logging the other', async () => {
    const { factory, lines } = recordingLogger()
    const good = await tracker((_req, res) => res.end(bencode({ interval: 600, peers: Buffer.alloc(0) })))
    const bad = await tracker((_req, res) => res.end(bencode({ 'failure reason': 'go away' })))
    const discovery = makeDiscovery({ announce: [bad.announce, good.announce] }, ['tcp://127.0.0.1:44005'], factory)
    await discovery.provide(cid)
    expect(lines.some(l => l.includes('go away'))).toBe(true)
    await discovery.stop()
  })

  it('refuses to follow a redirect', async () => {
    const target = await tracker((_req, res) => res.end(bencode({ interval: 600, peers: compact([['127.0.0.2', 7001]]) })))
    const redirecting = await tracker((_req, res) => { res.writeHead(302, { location: target.announce }); res.end() })
    expect(await lookup(makeDiscovery({ announce: [redirecting.announce] }), cid)).toEqual([])
    const err = await provideFails(redirecting.announce)
    expect(err).toBeInstanceOf(TrackerResponseError)
    expect(err.message).toContain('redirects are not followed')
    expect(target.requests).toHaveLength(0)
  })

  it('refuses an oversized response head', async () => {
    const { announce } = await tracker((_req, res) => { res.setHeader('x-junk', 'j'.repeat(64 * 1024)); res.end('de') })
    expect(await lookup(makeDiscovery({ announce: [announce] }), cid)).toEqual([])
  })

  it('uses the peers of an answer that carries a warning, and logs the warning', async () => {
    const { factory, lines } = recordingLogger()
    const { announce } = await tracker((_req, res) => res.end(bencode({ interval: 600, 'warning message': 'slow down', peers: compact([['127.0.0.2', 7001]]) })))
    expect(addressesOf(await lookup(makeDiscovery({ announce: [announce] }, [], factory), cid))).toEqual(['tcp://127.0.0.2:7001'])
    expect(lines.some(l => l.includes('slow down'))).toBe(true)
  })

  it('gives up quickly on a tracker that is not there', async () => {
    const gone = await tracker(() => {})
    const { announce } = gone
    await gone.close()
    expect(await lookup(makeDiscovery({ announce: [announce], timeout: 5000 }), cid, 3000)).toEqual([])
  })
})
