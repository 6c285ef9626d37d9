import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ContentId } from '@codio-chunk/interface'
import { announceUrl, percentEncode } from '../src/http-tracker.js'
import { infoHashOf, tcpEndpoints, trackerPeerIdOf } from '../src/mapping.js'
import { MAX_LOOKUP_MEMBERSHIPS, Memberships } from '../src/memberships.js'
import { canonicalIp, readCompactPeers } from '../src/peers.js'
import type { TrackerPeer } from '../src/announce.js'

describe('content and node mapping', () => {
  it('announces a content under SHA-1 of its multihash, the same for its CIDv0 and CIDv1', () => {
    const v0 = ContentId.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
    const v1 = ContentId.fromCid(v0.cid.toV1())
    expect(v1.toString()).toMatch(/^bafybei/)
    const expected = createHash('sha1').update(v0.cid.multihash.bytes).digest()
    expect(Buffer.from(infoHashOf(v0))).toEqual(expected)
    expect(Buffer.from(infoHashOf(v1))).toEqual(expected)
    expect(infoHashOf(v0)).toHaveLength(20)
  })

  it('makes a 20-byte peer id: -CC0100- and 12 bytes of SHA-1 of the libp2p peer id', () => {
    const peerId = '12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV'
    const id = trackerPeerIdOf(peerId)
    expect(id).toHaveLength(20)
    expect(Buffer.from(id.subarray(0, 8)).toString()).toBe('-CC0100-')
    expect(Buffer.from(id.subarray(8))).toEqual(createHash('sha1').update(peerId).digest().subarray(0, 12))
    expect(trackerPeerIdOf(peerId)).toEqual(id)
  })

  it('takes the TCP endpoints of the listen addresses, in order', () => {
    expect(tcpEndpoints(['quic://127.0.0.1:4002', 'tcp://0.0.0.0:0', 'TCP://[::1]:4003', 'tcp://127.0.0.1:4001', 'garbage']))
      .toEqual([{ host: '::1', port: 4003 }, { host: '127.0.0.1', port: 4001 }])
  })
})

describe('HTTP announce URL', () => {
  it('percent-encodes every byte but the unreserved characters', () => {
    expect(percentEncode(Uint8Array.of(0x00, 0x41, 0x7a, 0x2d, 0x2e, 0x5f, 0x7e, 0x20, 0xff, 0x26))).toBe('%00Az-._~%20%FF%26')
  })

  it('appends to a URL with or without a query', () => {
    const request = { infoHash: new Uint8Array(20), peerId: new Uint8Array(20).fill(0x41), port: 4001, left: 1 as const, numWant: 50, key: 0xabc }
    expect(announceUrl(new URL('http://t.example/announce'), request)).toMatch(/^http:\/\/t\.example\/announce\?info_hash=(%00){20}&peer_id=A{20}&port=4001&uploaded=0&downloaded=0&left=1&compact=1&no_peer_id=1&numwant=50&key=00000abc$/)
    expect(announceUrl(new URL('http://t.example/announce?passkey=x'), { ...request, event: 'stopped' })).toMatch(/^http:\/\/t\.example\/announce\?passkey=x&info_hash=.*&event=stopped$/)
  })
})

describe('peer lists', () => {
  it('reads compact IPv4 and IPv6 peers up to a limit', () => {
    const out: TrackerPeer[] = []
    readCompactPeers(Uint8Array.of(127, 0, 0, 1, 0x1f, 0x90, 10, 0, 0, 2, 0, 80), 6, 10, out)
    const v6 = new Uint8Array(18)
    v6[15] = 1
    v6[16] = 0x0f
    v6[17] = 0xa1
    readCompactPeers(v6, 18, 10, out)
    expect(out).toEqual([{ host: '127.0.0.1', port: 8080 }, { host: '10.0.0.2', port: 80 }, { host: '::1', port: 4001 }])
    const limited: TrackerPeer[] = []
    readCompactPeers(new Uint8Array(600), 6, 3, limited)
    expect(limited).toHaveLength(3)
  })

  it('accepts only IP literals, canonically', () => {
    expect(canonicalIp('127.0.0.1')).toBe('127.0.0.1')
    expect(canonicalIp('0:0:0:0:0:0:0:1')).toBe('::1')
    expect(canonicalIp('::FFFF:10.1.2.3')).toBe('10.1.2.3')
    expect(canonicalIp('tracker.example')).toBeUndefined()
    expect(canonicalIp('fe80::1%eth0')).toBeUndefined()
    expect(canonicalIp('1'.repeat(100))).toBeUndefined()
  })
})

describe('memberships', () => {
  it('chooses started, completed or no event', () => {
    const m = new Memberships()
    expect(m.eventFor('t', 'a', 1, 4001)).toBe('started')
    m.joined('t', 'a', { infoHash: new Uint8Array(20), port: 4001, left: 1 })
    expect(m.eventFor('t', 'a', 1, 4001)).toBeUndefined()
    expect(m.eventFor('t', 'a', 0, 4001)).toBe('completed')
    expect(m.eventFor('t', 'a', 0, 4002)).toBe('started')
    m.left('t', 'a')
    expect(m.eventFor('t', 'a', 0, 4001)).toBe('started')
  })

  it('remembers at most MAX_LOOKUP_MEMBERSHIPS looker listings per tracker, forgetting the oldest, and every seeder listing', () => {
    const m = new Memberships()
    const infoHash = new Uint8Array(20)
    m.joined('t', 'seed', { infoHash, port: 1, left: 0 })
    for (let i = 0; i < MAX_LOOKUP_MEMBERSHIPS + 10; i++) m.joined('t', `look${i}`, { infoHash, port: 1, left: 1 })
    const keys = m.all().map(e => e.key)
    expect(keys).toHaveLength(MAX_LOOKUP_MEMBERSHIPS + 1)
    expect(keys).toContain('seed')
    expect(keys).not.toContain('look9')
    expect(keys).toContain('look10')
  })
})
