// Endpoints announced under a content that serve forged or broken provider records, each a raw
// KRPC socket on loopback: every record is refused with its reason in the log, and only the real
// provider is yielded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { ContentId } from '@codio-chunk/interface'
import { PeerIdentity } from '@codio-chunk/protocol'
import { contentKey, dhtDiscovery } from '../src/index.js'
import { sha1 } from '../src/content-key.js'
import { encode } from '../src/bencode.js'
import { encodeRecordValue } from '../src/record-value.js'
import { signedBytes } from '../src/signature.js'
import { startLocalDht } from './helpers/local-dht.js'
import { captureLogs, nodeComponents } from './helpers/components.js'
import { bytes, endpointsOf, RawKrpcNode } from './helpers/raw-krpc.js'
import type { BValue } from '../src/bencode.js'
import type { DhtDiscovery } from '../src/index.js'
import type { LocalDht } from './helpers/local-dht.js'
import type { ProviderRecord } from '@codio-chunk/interface'

const CID = ContentId.parse('bafkreie7q3iidccmpvszul7kudcvvuavuo7u6gzlbobczuk5nqk3b4akba')

interface Forgery {
  name: string
  /** What the log must say about it. */
  reason: string | RegExp
  /** The node id the endpoint claims (default: SHA-1 of the signing key). */
  id?: Uint8Array
  /** The reply to `get` (besides `id`). */
  reply: Map<string, BValue>
}

/** A record `identity` signs, with `value` as given (default: a valid record of `addresses`). */
function signed (identity: PeerIdentity, value: Uint8Array, extra: Array<[string, BValue]> = [], seq = 7): Map<string, BValue> {
  return new Map<string, BValue>([['k', identity.publicKey], ['seq', seq], ['v', value], ['sig', identity.sign(signedBytes(seq, value))], ['token', bytes('tok')], ...extra])
}

function forgeries (): Forgery[] {
  const key = PeerIdentity.generate()
  const other = PeerIdentity.generate()
  const valid = encodeRecordValue(['tcp://127.0.0.1:7001'], key.peerId).value
  const recordOf = (list: string[]): Uint8Array => encode(new Map([['a', list.map(bytes)]]))
  // 996 bytes: over the record limit, yet its bencoded form is within BEP 44's 1000.
  const pad = (n: number): Uint8Array => encode(new Map<string, BValue>([['a', [bytes('tcp://127.0.0.1:7001')]], ['z', new Uint8Array(n)]]))
  let n = 900
  while (pad(n).length < 996) n++
  const padded = pad(n)
  return [
    { name: 'bad signature', reason: 'the signature does not verify', reply: new Map<string, BValue>([...signed(key, valid), ['sig', randomBytes(64)]]) },
    { name: 'key not hashing to the target', reason: 'the key does not hash to the target', id: randomBytes(20), reply: signed(key, valid) },
    { name: 'another peer id', reason: `names another peer id (${other.peerId})`, reply: signed(key, recordOf([`quic://127.0.0.1:7002/p2p/${other.peerId}`])) },
    { name: 'value over the record limit', reason: 'the value is 996 bytes, over 995', reply: signed(key, padded) },
    { name: 'not bencode', reason: 'the value is not a provider record', reply: signed(key, bytes('hello, world')) },
    { name: 'a dictionary, not a byte string', reason: 'the value is not a byte string', reply: new Map<string, BValue>([...signed(key, valid), ['v', new Map([['a', [bytes('tcp://127.0.0.1:7003')]]])]]) },
    { name: 'not an address', reason: '"not-an-address" is not an address', reply: signed(key, recordOf(['not-an-address'])) },
    { name: 'too many addresses', reason: 'record has 33 addresses, over 32', reply: signed(key, recordOf(Array.from({ length: 33 }, (_, i) => `tcp://127.0.0.1:${7100 + i}`))) },
    { name: 'no known scheme', reason: 'no address of a known scheme', reply: signed(key, recordOf(['webrtc://127.0.0.1:7004'])) },
    { name: 'salted item', reason: 'the item has a salt', reply: signed(key, valid, [['salt', bytes('pepper')]]) },
    { name: 'unsorted record keys', reason: 'out of order', reply: signed(key, bytes('d1:bi1e1:al20:tcp://127.0.0.1:7005ee')) }
  ].map(f => ({ ...f, id: f.id ?? sha1(key.publicKey) }))
}

let network: LocalDht
const raw: RawKrpcNode[] = []
const discoveries: DhtDiscovery[] = []

beforeAll(async () => {
  network = await startLocalDht({ count: 12 })
})

afterAll(async () => {
  await Promise.all(discoveries.map(async d => { await d.stop() }))
  await Promise.all(raw.map(async node => { await node.close() }))
  await network?.stop()
})

describe('forged and broken provider records', () => {
  it('are each refused with the reason logged; only the real provider is yielded', async () => {
    const nodes = endpointsOf(network.nodes)
    const forged = forgeries()
    // One that claims the finder can be handed a record over 1000 bytes: dropped on arrival.
    const hugeKey = PeerIdentity.generate()
    const huge = { name: 'value over BEP 44\'s 1000 bytes', id: sha1(hugeKey.publicKey), reply: signed(hugeKey, new Uint8Array(1500)) }
    const endpoints = new Map<number, Forgery>()
    for (const forgery of [...forged, { ...huge, reason: '' }]) {
      const node = await RawKrpcNode.start((query) => {
        if (query === 'get') return new Map(forgery.reply)
        return new Map<string, BValue>([['nodes', new Uint8Array(0)]])
      }, forgery.id)
      raw.push(node)
      expect(await node.announce(contentKey(CID), nodes)).toBeGreaterThan(0)
      endpoints.set(node.port, forgery)
    }

    const provider = dhtDiscovery({ bootstrap: network.bootstrap, host: '127.0.0.1' })(nodeComponents(() => ['tcp://127.0.0.1:4001']))
    discoveries.push(provider)
    await provider.start({ signal: AbortSignal.timeout(10_000) })
    await provider.provide(CID, { signal: AbortSignal.timeout(10_000) })

    const { logger, lines } = captureLogs()
    const finderComponents = nodeComponents(() => ['tcp://127.0.0.1:5001'], logger)
    const finder = dhtDiscovery({ bootstrap: network.bootstrap, host: '127.0.0.1', queryTimeout: 1000, resolveTimeout: 4000 })(finderComponents)
    discoveries.push(finder)
    await finder.start({ signal: AbortSignal.timeout(10_000) })
    const found: ProviderRecord[] = []
    for await (const record of finder.findProviders(CID, { signal: AbortSignal.timeout(15_000) })) found.push(record)

    expect(found).toEqual([{ peerId: expect.any(String), addresses: ['tcp://127.0.0.1:4001'] }])
    for (const [port, forgery] of endpoints) {
      if (forgery.name === huge.name) continue
      const line = lines.find(l => l.startsWith(`dropped the record of 127.0.0.1:${port}: `))
      expect(line, forgery.name).toBeDefined()
      if (typeof forgery.reason === 'string') expect(line, forgery.name).toContain(forgery.reason)
      else expect(line, forgery.name).toMatch(forgery.reason)
    }
    expect(finder.stats().recordsRejected).toBe(forged.length)
    await finder.stop()
    expect(lines.some(l => l.startsWith('dropped ') && l.includes('value over 1000 bytes'))).toBe(true)
  })
})
