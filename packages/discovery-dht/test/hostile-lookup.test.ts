// A node that answers every lookup with thousands of made-up peers: the finder takes a bounded
// share of them, resolves a bounded number at once, ends within its time cap, and still finds
// the real provider (named by honest nodes) in the first round.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ContentId } from '@codio-chunk/interface'
import { contentKey, dhtDiscovery, MAX_ENDPOINTS_PER_SOURCE } from '../src/index.js'
import { startLocalDht } from './helpers/local-dht.js'
import { captureLogs, nodeComponents } from './helpers/components.js'
import { compactPeer, endpointsOf, RawKrpcNode } from './helpers/raw-krpc.js'
import type { DhtDiscovery } from '../src/index.js'
import type { LocalDht } from './helpers/local-dht.js'
import type { ProviderRecord } from '@codio-chunk/interface'
import type { BValue } from '../src/bencode.js'

const CID = ContentId.parse('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e')
const BOGUS_PEERS = 5000

let network: LocalDht
let liar: RawKrpcNode
const discoveries: DhtDiscovery[] = []

beforeAll(async () => {
  network = await startLocalDht({ count: 20 })
  // Its id is next to the content's key, so every lookup of the content asks it.
  const id = Uint8Array.from(contentKey(CID))
  id[19] ^= 0x01
  const values = Array.from({ length: BOGUS_PEERS }, (_, i) => compactPeer(`127.2.${(i >> 8) & 0xff}.${i & 0xff}`, 9))
  liar = await RawKrpcNode.start((query) => {
    if (query === 'get_peers') return new Map<string, BValue>([['token', Uint8Array.of(1, 2, 3, 4)], ['values', values]])
    if (query === 'ping' || query === 'find_node' || query === 'get') return new Map<string, BValue>([['nodes', new Uint8Array(0)]])
    return undefined
  }, id)
  await liar.join(endpointsOf(network.nodes))
})

afterAll(async () => {
  await Promise.all(discoveries.map(async d => { await d.stop() }))
  await liar?.close()
  await network?.stop()
})

describe('a lookup answered with thousands of bogus peers', () => {
  it('stays bounded, ends within its cap and still finds the real provider', async () => {
    const start = async (addresses: readonly string[], init = {}): Promise<DhtDiscovery> => {
      const discovery = dhtDiscovery({ bootstrap: network.bootstrap, host: '127.0.0.1', queryTimeout: 1000, ...init })(nodeComponents(() => addresses, captureLogs().logger))
      discoveries.push(discovery)
      await discovery.start({ signal: AbortSignal.timeout(10_000) })
      return discovery
    }
    const provider = await start(['tcp://127.0.0.1:4001'])
    await provider.provide(CID, { signal: AbortSignal.timeout(10_000) })
    const lookupTimeout = 8000
    const finder = await start(['tcp://127.0.0.1:5001'], { lookupTimeout, resolveTimeout: 3000 })

    const began = Date.now()
    let firstAt = -1
    const found: ProviderRecord[] = []
    for await (const record of finder.findProviders(CID, { signal: AbortSignal.timeout(20_000) })) {
      if (firstAt === -1) firstAt = Date.now() - began
      found.push(record)
    }
    const elapsed = Date.now() - began

    expect(found).toEqual([{ peerId: expect.any(String), addresses: ['tcp://127.0.0.1:4001'] }])
    const stats = finder.stats()
    // The liar's answer reached the finder, and only a bounded share of it was taken.
    expect(stats.endpointsRefused).toBeGreaterThanOrEqual(BOGUS_PEERS - MAX_ENDPOINTS_PER_SOURCE)
    expect(stats.endpointsAccepted).toBeLessThanOrEqual(MAX_ENDPOINTS_PER_SOURCE + 20)
    expect(stats.peakResolutions).toBeLessThanOrEqual(16)
    // Fair turns: the real provider resolves at once, not after the liar's endpoints time out
    // (about a second each here).
    expect(firstAt).toBeLessThan(1000)
    expect(elapsed).toBeLessThan(lookupTimeout + 1000)
  })

  it('ends at lookupTimeout while bogus endpoints are still being resolved', async () => {
    const finder = dhtDiscovery({ bootstrap: network.bootstrap, host: '127.0.0.1', queryTimeout: 5000, resolveTimeout: 5000, lookupTimeout: 1500, resolveConcurrency: 2 })(nodeComponents(() => ['tcp://127.0.0.1:5002']))
    discoveries.push(finder)
    await finder.start({ signal: AbortSignal.timeout(10_000) })
    const began = Date.now()
    let found = 0
    for await (const record of finder.findProviders(CID)) found += record.addresses.length > 0 ? 1 : 0
    expect(found).toBeLessThanOrEqual(1) // the real provider, if its turn came
    const elapsed = Date.now() - began
    expect(elapsed).toBeGreaterThanOrEqual(1400)
    expect(elapsed).toBeLessThan(2500)
    expect(finder.stats().peakResolutions).toBeLessThanOrEqual(2)
  })
})
