// Two discoveries joined to a local DHT of plain bittorrent-dht nodes on loopback: one provides,
// the other finds its peer id and addresses through the provider's signed record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AbortError, ContentId } from '@codio-chunk/interface'
import { createComponents, PeerIdentity } from '@codio-chunk/protocol'
import { contentKey, dhtDiscovery, DhtError, InvalidConfigError, ListenError } from '../src/index.js'
import { sha1 } from '../src/content-key.js'
import { encodeRecordValue } from '../src/record-value.js'
import { startLocalDht } from './helpers/local-dht.js'
import { captureLogs, nodeComponents, testCid } from './helpers/components.js'
import { endpointsOf, RawKrpcNode } from './helpers/raw-krpc.js'
import type { BValue } from '../src/bencode.js'
import type { DhtDiscovery, DhtDiscoveryInit } from '../src/index.js'
import type { LocalDht } from './helpers/local-dht.js'
import type { ProviderRecord } from '@codio-chunk/interface'

const V0 = ContentId.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
const V1 = ContentId.fromCid(V0.cid.toV1())

let network: LocalDht
const started: DhtDiscovery[] = []
const raw: RawKrpcNode[] = []

beforeAll(async () => {
  network = await startLocalDht({ count: 20 })
})

afterAll(async () => {
  await Promise.all(started.map(async d => { await d.stop() }))
  await Promise.all(raw.map(async r => { await r.close() }))
  await network?.stop()
})

async function join (addresses: (peerId: string) => readonly string[], init = {}): Promise<{ discovery: DhtDiscovery, peerId: string, addresses: readonly string[], lines: string[] }> {
  const { logger, lines } = captureLogs()
  const components = nodeComponents(identity => addresses(identity.peerId), logger)
  const discovery = dhtDiscovery({ bootstrap: network.bootstrap, host: '127.0.0.1', ...init })(components)
  started.push(discovery)
  await discovery.start({ signal: AbortSignal.timeout(10_000) })
  return { discovery, peerId: components.identity.peerId, addresses: components.addresses?.() ?? [], lines }
}

async function collect (iterable: AsyncIterable<ProviderRecord>): Promise<ProviderRecord[]> {
  const out: ProviderRecord[] = []
  for await (const record of iterable) out.push(record)
  return out
}

describe('dhtDiscovery on a local DHT', () => {
  it('finds a provider\'s peer id and all its addresses', async () => {
    const provider = await join(id => ['tcp://127.0.0.1:4001', `quic://127.0.0.1:4002/p2p/${id}`, `quinn://127.0.0.1:4003/p2p/${id}`])
    const finder = await join(() => ['tcp://127.0.0.1:5001'])
    expect(provider.discovery.nodeCount).toBeGreaterThan(0)
    expect(provider.discovery.dhtAddress).toMatch(/^127\.0\.0\.1:\d+$/)
    await provider.discovery.provide(V1, { signal: AbortSignal.timeout(10_000) })
    const found = await collect(finder.discovery.findProviders(V1, { signal: AbortSignal.timeout(10_000) }))
    expect(found).toEqual([{ peerId: provider.peerId, addresses: provider.addresses }])
  })

  it('meets CIDv0 and CIDv1 of the same multihash at the same key', async () => {
    const provider = await join(() => ['tcp://127.0.0.1:4101'])
    const finder = await join(() => ['tcp://127.0.0.1:5101'])
    await provider.discovery.provide(V0, { signal: AbortSignal.timeout(10_000) })
    const found = await collect(finder.discovery.findProviders(V1, { signal: AbortSignal.timeout(10_000) }))
    expect(found.map(p => p.peerId)).toContain(provider.peerId)
  })
})

describe('dhtDiscovery records', () => {
  it('finds a provider that listens on quinn only, with exactly its addresses', async () => {
    const provider = await join(id => [`quinn://127.0.0.1:4433/p2p/${id}`, `quinn://[::1]:4433/p2p/${id}`])
    const finder = await join(() => ['tcp://127.0.0.1:5201'])
    const cid = testCid('quinn only')
    await provider.discovery.provide(cid, { signal: AbortSignal.timeout(10_000) })
    const found = await collect(finder.discovery.findProviders(cid, { signal: AbortSignal.timeout(10_000) }))
    expect(found).toEqual([{ peerId: provider.peerId, addresses: provider.addresses }])
  })

  it('never yields the node itself', async () => {
    const provider = await join(() => ['tcp://127.0.0.1:4301'])
    const cid = testCid('only me')
    await provider.discovery.provide(cid, { signal: AbortSignal.timeout(10_000) })
    expect(await collect(provider.discovery.findProviders(cid, { signal: AbortSignal.timeout(10_000) }))).toEqual([])
  })

  it('publishes the new addresses when they change', async () => {
    let addresses = ['tcp://127.0.0.1:4401']
    const { logger } = captureLogs()
    const components = createComponents({ identity: PeerIdentity.generate(), logger, addresses: () => addresses })
    const provider = dhtDiscovery({ bootstrap: network.bootstrap, host: '127.0.0.1' })(components)
    started.push(provider)
    await provider.start()
    const finder = await join(() => ['tcp://127.0.0.1:5401'])
    const cid = testCid('moving')
    await provider.provide(cid)
    expect((await collect(finder.discovery.findProviders(cid))).map(p => p.addresses)).toEqual([['tcp://127.0.0.1:4401']])
    addresses = ['tcp://127.0.0.1:4402', 'tcp://127.0.0.1:4403']
    await provider.provide(cid)
    // A finder reuses a record it verified in the last minute; a new one sees the new record.
    expect((await collect(finder.discovery.findProviders(cid))).map(p => p.addresses)).toEqual([['tcp://127.0.0.1:4401']])
    const later = await join(() => ['tcp://127.0.0.1:5402'])
    expect((await collect(later.discovery.findProviders(cid))).map(p => p.addresses)).toEqual([addresses])
  })

  it('falls back to the DHT for a record the provider\'s endpoint does not serve', async () => {
    const key = PeerIdentity.generate()
    const target = sha1(key.publicKey)
    // An endpoint that answers as the key's DHT node but keeps no record...
    const endpoint = await RawKrpcNode.start(() => new Map<string, BValue>([['nodes', new Uint8Array(0)]]), target)
    raw.push(endpoint)
    const cid = testCid('record elsewhere')
    expect(await endpoint.announce(contentKey(cid), endpointsOf(network.nodes))).toBeGreaterThan(0)
    // ...while the record itself was stored on the DHT (by a plain node, with the key's signature).
    const value = encodeRecordValue(['tcp://127.0.0.1:4501'], key.peerId).value
    await new Promise<void>((resolve, reject) => {
      network.nodes[3].put({ k: Buffer.from(key.publicKey), seq: 1, v: Buffer.from(value), sign: (bytes: Buffer) => Buffer.from(key.sign(bytes)) }, (error: Error | null) => { error === null ? resolve() : reject(error) })
    })
    const finder = await join(() => ['tcp://127.0.0.1:5501'])
    const found = await collect(finder.discovery.findProviders(cid, { signal: AbortSignal.timeout(10_000) }))
    expect(found).toEqual([{ peerId: key.peerId, addresses: ['tcp://127.0.0.1:4501'] }])
    expect(finder.lines.some(l => l.includes('the DHT)'))).toBe(true)
  })
})

describe('dhtDiscovery on a DHT whose nodes store no BEP 44 items', () => {
  it('still finds providers: each serves its own record', async () => {
    const plain = await startLocalDht({ count: 8, bep44: false })
    try {
      const start = async (address: string): Promise<{ discovery: DhtDiscovery, lines: string[] }> => {
        const { logger, lines } = captureLogs()
        const discovery = dhtDiscovery({ bootstrap: plain.bootstrap, host: '127.0.0.1' })(nodeComponents(() => [address], logger))
        started.push(discovery)
        await discovery.start()
        return { discovery, lines }
      }
      const provider = await start('tcp://127.0.0.1:4601')
      const finder = await start('tcp://127.0.0.1:5601')
      const cid = testCid('no bep44')
      await provider.discovery.provide(cid)
      expect((await collect(finder.discovery.findProviders(cid))).map(p => p.addresses)).toEqual([['tcp://127.0.0.1:4601']])
      expect(finder.lines.some(l => l.includes(`(record from ${provider.discovery.dhtAddress ?? '?'}, its own node)`))).toBe(true)
      await provider.discovery.stop()
      await finder.discovery.stop()
    } finally {
      await plain.stop()
    }
  })
})

describe('dhtDiscovery lifecycle', () => {
  it('refuses to provide or find before start and after stop; stop is idempotent', async () => {
    const discovery = dhtDiscovery({ bootstrap: [] })(nodeComponents(() => ['tcp://127.0.0.1:1']))
    await expect(discovery.provide(V1)).rejects.toThrow(DhtError)
    expect(() => discovery.findProviders(V1)).toThrow('call start() first')
    expect(discovery.dhtAddress).toBeUndefined()
    expect(discovery.nodeCount).toBe(0)
    await discovery.stop()
    await discovery.stop()
    await expect(discovery.start()).rejects.toThrow('was stopped')
    await expect(discovery.provide(V1)).rejects.toThrow('was stopped')
  })

  it('starts alone with no bootstrap node (the first node of a private DHT)', async () => {
    const discovery = dhtDiscovery({ bootstrap: [], host: '127.0.0.1' })(nodeComponents(() => ['tcp://127.0.0.1:1']))
    started.push(discovery)
    await discovery.start()
    expect(discovery.nodeCount).toBe(0)
    expect(discovery.reprovideInterval).toBe(15 * 60 * 1000)
    await expect(discovery.provide(V1)).rejects.toThrow(/No DHT node accepted the announcement/)
    expect(await collect(discovery.findProviders(V1))).toEqual([])
  })

  it('rejects with ListenError when its UDP port is taken', async () => {
    const first = await join(() => ['tcp://127.0.0.1:1'])
    const port = Number(first.discovery.dhtAddress?.split(':')[1])
    const second = dhtDiscovery({ bootstrap: [], host: '127.0.0.1', port })(nodeComponents(() => ['tcp://127.0.0.1:2']))
    await expect(second.start()).rejects.toBeInstanceOf(ListenError)
    await expect(second.start()).rejects.toThrow(`Cannot bind the DHT's UDP socket to 127.0.0.1:${port}`)
  })

  it('stops a running lookup when the signal fires or the discovery stops', async () => {
    const finder = await join(() => ['tcp://127.0.0.1:5701'])
    const aborted = AbortSignal.abort()
    expect(await collect(finder.discovery.findProviders(V1, { signal: aborted }))).toEqual([])
    const running = collect(finder.discovery.findProviders(testCid('nobody has it')))
    await finder.discovery.stop()
    await expect(running).resolves.toEqual([])
  })

  it('aborts start when its signal fires', async () => {
    const discovery = dhtDiscovery({ bootstrap: ['127.0.0.1:9'], host: '127.0.0.1' })(nodeComponents(() => ['tcp://127.0.0.1:1']))
    await expect(discovery.start({ signal: AbortSignal.timeout(50) })).rejects.toBeInstanceOf(AbortError)
    expect(discovery.dhtAddress).toBeUndefined()
  })

  it('checks its options and components', () => {
    const bad: Array<[DhtDiscoveryInit, string]> = [
      [{ port: 70_000 }, 'port takes a whole number from 0 to 65535, got 70000'],
      [{ host: '::' }, 'host takes an IPv4 address'],
      [{ bootstrap: ['router.bittorrent.com'] }, 'bootstrap takes \'host:port\' entries'],
      [{ bootstrap: 'x:1' as unknown as string[] }, 'bootstrap takes an array'],
      [{ reprovideInterval: 0 }, 'reprovideInterval takes a whole number from 1000'],
      [{ maxProvidersPerLookup: 1.5 }, 'maxProvidersPerLookup takes a whole number'],
      [{ stateFile: '' }, 'stateFile takes a file path'],
      [{ schemes: [] }, 'schemes takes a non-empty array']
    ]
    for (const [init, message] of bad) {
      expect(() => dhtDiscovery(init), message).toThrow(InvalidConfigError)
      expect(() => dhtDiscovery(init), message).toThrow(message)
    }
    const noAddresses = { ...createComponents(), addresses: undefined }
    expect(() => dhtDiscovery({ bootstrap: [] })(noAddresses)).toThrow('needs components.addresses')
  })
})

describe('dhtDiscovery stopped while it starts', () => {
  it('stops at once and leaves nothing bound', async () => {
    const discovery = dhtDiscovery({ bootstrap: ['127.0.0.1:9'], host: '127.0.0.1', bootstrapTimeout: 10_000 })(nodeComponents(() => ['tcp://127.0.0.1:1']))
    const starting = discovery.start()
    starting.catch(() => {})
    // By now it listens and waits for a bootstrap node that never answers.
    await new Promise(resolve => setTimeout(resolve, 50))
    const began = Date.now()
    await discovery.stop()
    await expect(starting).rejects.toThrow(DhtError)
    expect(Date.now() - began).toBeLessThan(1000)
    expect(discovery.dhtAddress).toBeUndefined()
  })
})
