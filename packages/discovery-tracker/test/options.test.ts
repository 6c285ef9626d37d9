import { describe, expect, it } from 'vitest'
import { InvalidConfigError, silentLoggerFactory } from '@codio-chunk/interface'
import { PeerIdentity } from '@codio-chunk/protocol'
import { InvalidTrackerUrlError, MAX_TRACKERS, trackerDiscovery } from '../src/index.js'
import type { TrackerDiscoveryInit } from '../src/index.js'

describe('trackerDiscovery() options', () => {
  it.each([
    ['tcp://127.0.0.1:4001', '"tcp:" is not a tracker protocol'],
    ['ws://tracker.example:8000', 'WebSocket (WebTorrent) trackers are not supported'],
    ['wss://tracker.example/announce', 'WebSocket'],
    ['magnet:?xt=urn:btih:abc', '"magnet:" is not a tracker protocol'],
    ['tracker.example:6969', 'is not a tracker protocol'],
    ['not a url', 'it is not a URL'],
    ['http://tracker.example', 'names its announce path'],
    ['http://tracker.example/', 'names its announce path'],
    ['udp://tracker.example', 'a UDP tracker needs a port'],
    ['udp://tracker.example:0', 'port 0'],
    ['https://user:secret@tracker.example/announce', 'credentials'],
    [`http://tracker.example/${'a'.repeat(3000)}`, 'longer than 2048'],
    [42, 'not a string']
  ])('refuses %s at factory time with InvalidTrackerUrlError', (url, why) => {
    let error: unknown
    try {
      trackerDiscovery({ announce: [url as string] })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(InvalidTrackerUrlError)
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidTrackerUrlError).code).toBe('ERR_INVALID_TRACKER_URL')
    expect((error as Error).message).toContain(why)
    expect((error as Error).message).toContain('Expected http://host:port/announce')
  })

  it('accepts http, https and udp trackers, IPv6 hosts and a passkey query', () => {
    expect(() => trackerDiscovery({
      announce: ['http://127.0.0.1:8000/announce', 'https://tracker.example/abc123/announce?passkey=x', 'udp://[::1]:6969', 'udp://tracker.example:6969/announce']
    })).not.toThrow()
  })

  it.each<[string, TrackerDiscoveryInit]>([
    ['no announce list', {} as unknown as TrackerDiscoveryInit],
    ['an empty announce list', { announce: [] }],
    ['too many trackers', { announce: Array.from({ length: MAX_TRACKERS + 1 }, (_v, i) => `udp://t${i}.example:6969`) }],
    ['a zero timeout', { announce: ['udp://t.example:1'], timeout: 0 }],
    ['a fractional numWant', { announce: ['udp://t.example:1'], numWant: 2.5 }],
    ['a numWant over the lookup limit', { announce: ['udp://t.example:1'], numWant: 1000 }],
    ['port 70000', { announce: ['udp://t.example:1'], port: 70_000 }],
    ['a string stopTimeout', { announce: ['udp://t.example:1'], stopTimeout: '2s' as unknown as number }]
  ])('refuses %s with InvalidConfigError', (_what, init) => {
    expect(() => trackerDiscovery(init)).toThrow(InvalidConfigError)
  })

  it('refuses components without the node\'s listen addresses', () => {
    const factory = trackerDiscovery({ announce: ['udp://127.0.0.1:6969'] })
    expect(() => factory({ identity: PeerIdentity.generate(), logger: silentLoggerFactory })).toThrow(/components.addresses/)
  })
})
