// Provider records: the value format, the checks a fetched record passes, signatures, content
// keys and the publisher that keeps the node's own record.
import { describe, expect, it, vi } from 'vitest'
import { randomBytes } from 'node:crypto'
import { ContentId } from '@codio-chunk/interface'
import { PeerIdentity, peerIdFromPublicKey, verifyPeerSignature } from '@codio-chunk/protocol'
import { contentKey, sha1 } from '../src/content-key.js'
import { checkRecord } from '../src/record-check.js'
import { decodeRecordValue, encodeRecordValue, MAX_RECORD_ADDRESSES, MAX_RECORD_BYTES } from '../src/record-value.js'
import { MIN_REPUBLISH_INTERVAL, RecordPublisher } from '../src/record-publisher.js'
import { ResolutionCache } from '../src/resolution-cache.js'
import { signedBytes, verifyEd25519 } from '../src/signature.js'
import { silentLogger } from '@codio-chunk/interface'
import type { SignedItem } from '../src/dht-node.js'

const schemes = new Set(['tcp', 'quic', 'quinn'])

function record (identity: PeerIdentity, addresses: string[], seq = 5): { v: Uint8Array, k: Uint8Array, sig: Uint8Array, seq: number } {
  const v = encodeRecordValue(addresses, identity.peerId).value
  return { v, k: identity.publicKey, sig: identity.sign(signedBytes(seq, v)), seq }
}

describe('record values', () => {
  it('leave out the record\'s own peer id and put it back', () => {
    const id = PeerIdentity.generate().peerId
    const addresses = ['tcp://10.0.0.5:4001', `quic://10.0.0.5:4002/p2p/${id}`, `quinn://[2001:db8::1]:4003/p2p/${id}`]
    const { value, included, left } = encodeRecordValue(addresses, id)
    expect(included).toEqual(addresses)
    expect(left).toEqual([])
    expect(Buffer.from(value).toString()).not.toContain(id)
    expect(decodeRecordValue(value, id)).toEqual(addresses)
  })

  it('keep what fits in the size and count limits, in order', () => {
    const id = PeerIdentity.generate().peerId
    const many = Array.from({ length: 40 }, (_, i) => `tcp://10.0.0.${i}:4001`)
    const byCount = encodeRecordValue(many, id)
    expect(byCount.included).toEqual(many.slice(0, MAX_RECORD_ADDRESSES))
    const long = Array.from({ length: 20 }, (_, i) => `tcp://host-${i}-${'x'.repeat(40)}.example.com:4001`)
    const bySize = encodeRecordValue([...long, 'x'.repeat(300)], id)
    expect(bySize.value.length).toBeLessThanOrEqual(MAX_RECORD_BYTES)
    expect(bySize.included).toEqual(long.slice(0, bySize.included.length))
    expect(bySize.left).toContain('x'.repeat(300))
    expect(decodeRecordValue(bySize.value, id)).toEqual(bySize.included)
  })
})

describe('checkRecord', () => {
  const identity = PeerIdentity.generate()
  const target = sha1(identity.publicKey)
  const context = { target, seenHost: '203.0.113.7', schemes }

  it('accepts a signed record and derives the peer id from the key', () => {
    const addresses = ['tcp://10.0.0.5:4001', `quic://10.0.0.5:4002/p2p/${identity.peerId}`]
    const check = checkRecord(record(identity, addresses), context)
    expect(check).toEqual({ ok: true, provider: { peerId: identity.peerId, addresses }, seq: 5, skipped: [] })
  })

  it('replaces wildcard hosts by the address the provider was seen at and skips unknown schemes', () => {
    const check = checkRecord(record(identity, ['tcp://0.0.0.0:4001', `quic://[::]:4002/p2p/${identity.peerId}`, 'webrtc://10.0.0.5:1']), context)
    expect(check).toMatchObject({ ok: true, provider: { addresses: ['tcp://203.0.113.7:4001', `quic://203.0.113.7:4002/p2p/${identity.peerId}`] }, skipped: ['webrtc://10.0.0.5:1'] })
  })

  it('refuses anything that fails a check', () => {
    const good = record(identity, ['tcp://10.0.0.5:4001'])
    const other = PeerIdentity.generate()
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...good, k: undefined }, 'no 32-byte public key'],
      [{ ...good, sig: good.sig.subarray(1) }, 'no 64-byte signature'],
      [{ ...good, seq: -1 }, 'no sequence number'],
      [{ ...good, seq: 6 }, 'the signature does not verify'],
      [{ ...good, sig: randomBytes(64) }, 'the signature does not verify'],
      [{ ...good, salt: Buffer.from('s') }, 'the item has a salt'],
      [{ ...good, v: 'text' }, 'the value is not a byte string'],
      [record(other, ['tcp://10.0.0.5:4001']), 'the key does not hash to the target'],
      [record(identity, [`tcp://10.0.0.5:4001/p2p/${other.peerId}`]), `an address names another peer id (${other.peerId})`],
      [record(identity, ['webrtc://10.0.0.5:1']), 'no address of a known scheme'],
      [record(identity, ['tcp://10.0.0.5']), '"tcp://10.0.0.5" is not an address']
    ]
    for (const [item, reason] of cases) expect(checkRecord(item, context), reason).toEqual({ ok: false, reason })
    // A small-order key, for which a made-up signature would verify.
    const weak = new Uint8Array(32)
    const forged = { k: weak, seq: 1, v: good.v, sig: new Uint8Array(64) }
    expect(checkRecord(forged, { ...context, target: sha1(weak) })).toEqual({ ok: false, reason: 'the signature does not verify' })
    const huge = new Uint8Array(MAX_RECORD_BYTES + 1)
    expect(checkRecord({ ...good, v: huge }, context)).toEqual({ ok: false, reason: `the value is ${huge.length} bytes, over ${MAX_RECORD_BYTES}` })
  })
})

describe('signatures and keys', () => {
  it('signs BEP 44\'s bytes; node:crypto and @noble/curves agree on them', () => {
    expect(Buffer.from(signedBytes(1, Buffer.from('Hello World!'))).toString()).toBe('3:seqi1e1:v12:Hello World!')
    const identity = PeerIdentity.generate()
    const message = signedBytes(99, randomBytes(100))
    const signature = identity.sign(message)
    expect(verifyEd25519(identity.publicKey, message, signature)).toBe(true)
    expect(verifyPeerSignature(identity.peerId, message, signature)).toBe(true)
    expect(verifyEd25519(identity.publicKey, signedBytes(100, message), signature)).toBe(false)
    expect(verifyEd25519(identity.publicKey.subarray(1), message, signature)).toBe(false)
    // A small-order key "verifies" a made-up signature in OpenSSL and in noble's default mode.
    expect(verifyPeerSignature(peerIdFromPublicKey(new Uint8Array(32)), message, new Uint8Array(64))).toBe(true)
    expect(verifyEd25519(new Uint8Array(32), message, new Uint8Array(64))).toBe(false)
    const identityPoint = new Uint8Array(32)
    identityPoint[0] = 1
    const identitySignature = new Uint8Array(64)
    identitySignature[0] = 1
    expect(verifyEd25519(identityPoint, message, identitySignature)).toBe(false)
  })

  it('gives CIDv0 and CIDv1 of one multihash the same 20-byte key', () => {
    const v0 = ContentId.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
    const v1 = ContentId.fromCid(v0.cid.toV1())
    expect(v1.toString()).toMatch(/^bafy/)
    expect(contentKey(v0)).toHaveLength(20)
    expect(contentKey(v0)).toEqual(contentKey(v1))
    expect(contentKey(v0)).toEqual(sha1(v0.cid.multihash.bytes))
  })
})

describe('RecordPublisher', () => {
  function setup (addresses: string[], now: { t: number }): { publisher: RecordPublisher, stored: Map<string, SignedItem>, puts: SignedItem[], node: { put: ReturnType<typeof vi.fn>, storeLocally: ReturnType<typeof vi.fn>, holds: (target: Uint8Array, seq: number) => boolean } } {
    const identity = PeerIdentity.generate()
    const stored = new Map<string, SignedItem>()
    const puts: SignedItem[] = []
    const node = {
      put: vi.fn(async (_target: Uint8Array, item: SignedItem) => { puts.push(item); return 8 }),
      storeLocally: vi.fn((_target: Uint8Array, item: SignedItem) => { stored.set('own', item) }),
      holds: (_target: Uint8Array, seq: number) => stored.get('own')?.seq === seq
    }
    const publisher = new RecordPublisher({ node, identity, target: sha1(identity.publicKey), addresses: () => addresses, log: silentLogger, now: () => now.t, lastSeq: 2_000_000_000 })
    return { publisher, stored, puts, node }
  }

  it('stores at most once a minute unless the addresses change, each time with a higher seq', async () => {
    const now = { t: 1_000_000 }
    const addresses = ['tcp://10.0.0.5:4001']
    const { publisher, puts } = setup(addresses, now)
    await publisher.publish()
    await publisher.publish()
    expect(puts).toHaveLength(1)
    expect(puts[0].seq).toBe(2_000_000_001) // above the seq kept from before, though the clock says less
    now.t += MIN_REPUBLISH_INTERVAL
    await publisher.publish()
    expect(puts).toHaveLength(2)
    addresses.push('tcp://10.0.0.5:4002')
    expect(publisher.changed()).toBe(true)
    await publisher.publish()
    expect(puts).toHaveLength(3)
    expect(puts.map(p => p.seq)).toEqual([2_000_000_001, 2_000_000_002, 2_000_000_003])
    expect(decodeRecordValue(puts[2].v, PeerIdentity.generate().peerId)).toEqual(addresses)
  })

  it('puts its record back into the node\'s store when it was pushed out', () => {
    const { publisher, stored, node } = setup(['tcp://10.0.0.5:4001'], { t: 0 })
    publisher.prepare()
    expect(node.storeLocally).toHaveBeenCalledTimes(1)
    publisher.ensureLocal()
    expect(node.storeLocally).toHaveBeenCalledTimes(1)
    stored.clear()
    publisher.ensureLocal()
    expect(node.storeLocally).toHaveBeenCalledTimes(2)
    expect(stored.get('own')?.seq).toBe(publisher.seq)
  })

  it('publishes nothing while the node has no address', async () => {
    const { publisher, puts, node } = setup([], { t: 0 })
    publisher.prepare()
    await publisher.publish()
    expect(puts).toEqual([])
    expect(node.storeLocally).not.toHaveBeenCalled()
  })
})

describe('ResolutionCache', () => {
  it('keeps verified records for its time to live, up to its size', () => {
    let now = 0
    const cache = new ResolutionCache(1000, 2, () => now)
    const at = (port: number): { host: string, port: number } => ({ host: '10.0.0.1', port })
    const provider = { peerId: '12D3KooWx', addresses: ['tcp://10.0.0.1:4001'] }
    cache.set(at(1), provider)
    cache.set(at(2), provider)
    cache.set(at(3), provider)
    expect(cache.size).toBe(2)
    expect(cache.get(at(1))).toBeUndefined() // the oldest went
    expect(cache.get(at(3))).toBe(provider)
    now = 1000
    expect(cache.get(at(3))).toBeUndefined()
    expect(cache.size).toBe(1)
  })
})
