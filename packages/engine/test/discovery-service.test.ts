import { describe, expect, it } from 'vitest'
import { ContentId, silentLogger, type Discovery, type ProviderRecord } from '@codio-chunk/interface'
import { DiscoveryService, MAX_ADDRESSES_PER_RECORD, MAX_RECORDS_PER_LOOKUP } from '../src/discovery/discovery-service.js'

const CID = ContentId.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')

/** A discovery whose lookup yields `records` (then hangs until aborted when `hang`), counting what it was asked. */
function scripted (name: string, records: () => Iterable<unknown>, options: { hang?: boolean, fail?: Error } = {}): Discovery & { provided: number, pulled: number } {
  const discovery = {
    name,
    provided: 0,
    pulled: 0,
    async start () {},
    async stop () {},
    async provide () {
      if (options.fail !== undefined) throw options.fail
      discovery.provided++
    },
    async * findProviders (_cid: ContentId, { signal }: { signal?: AbortSignal } = {}): AsyncGenerator<ProviderRecord> {
      for (const record of records()) {
        discovery.pulled++
        yield record as ProviderRecord
      }
      if (options.fail !== undefined) throw options.fail
      if (options.hang === true) await new Promise<void>(resolve => signal?.addEventListener('abort', () => { resolve() }, { once: true }))
    }
  }
  return discovery
}

async function service (discoveries: Discovery[], localAddresses: string[] = []): Promise<DiscoveryService> {
  const s = new DiscoveryService({ discoveries, localPeerId: 'me', localAddresses: () => localAddresses, log: silentLogger })
  await s.start()
  return s
}

async function collect (records: AsyncIterable<ProviderRecord>): Promise<ProviderRecord[]> {
  const out: ProviderRecord[] = []
  for await (const record of records) out.push(record)
  return out
}

describe('DiscoveryService', () => {
  it('merges lookups, drops this node, duplicates and nonsense, and bounds addresses per record', async () => {
    const a = scripted('a', () => [
      { peerId: 'p1', addresses: ['tcp://10.0.0.1:1'] },
      { peerId: 'me', addresses: ['tcp://10.0.0.9:9'] },
      { addresses: ['tcp://127.0.0.1:4001'] },
      null,
      { addresses: 'tcp://x' },
      { peerId: 'p3', addresses: Array.from({ length: 100 }, (_, i) => `tcp://10.0.3.${i}:1`) }
    ])
    const b = scripted('b', () => [{ peerId: 'p1', addresses: ['tcp://10.0.0.1:1'] }, { peerId: 'p2', addresses: [7, 'x'.repeat(5000), 'tcp://10.0.0.2:1'] }])
    const records = await collect((await service([a, b], ['tcp://127.0.0.1:4001'])).findProviders(CID))
    expect(records.map(r => r.peerId).sort()).toEqual(['p1', 'p2', 'p3'])
    expect(records.find(r => r.peerId === 'p2')?.addresses).toEqual(['tcp://10.0.0.2:1'])
    expect(records.find(r => r.peerId === 'p3')?.addresses).toHaveLength(MAX_ADDRESSES_PER_RECORD)
  })

  it('takes at most MAX_RECORDS_PER_LOOKUP records, and stops pulling a discovery that only repeats itself', async () => {
    const many = scripted('many', function * () { for (let i = 0; ; i++) yield { addresses: [`tcp://10.1.${i >> 8 & 255}.${i & 255}:1`] } })
    expect(await collect((await service([many])).findProviders(CID))).toHaveLength(MAX_RECORDS_PER_LOOKUP)
    expect(many.pulled).toBeLessThan(MAX_RECORDS_PER_LOOKUP + 64)
    const same = scripted('same', function * () { for (;;) yield { addresses: ['tcp://10.0.0.1:1'] } })
    expect(await collect((await service([same])).findProviders(CID))).toHaveLength(1)
    expect(same.pulled).toBeLessThanOrEqual(4 * MAX_RECORDS_PER_LOOKUP + 1)
  })

  it('goes on when one discovery fails, and a lookup that hangs ends when the signal aborts', async () => {
    const broken = scripted('broken', () => [], { fail: new Error('socket closed') })
    const hanging = scripted('hanging', () => [{ peerId: 'p1', addresses: ['tcp://10.0.0.1:1'] }], { hang: true })
    const s = await service([broken, hanging])
    const controller = new AbortController()
    const got: ProviderRecord[] = []
    for await (const record of s.findProviders(CID, { signal: controller.signal })) {
      got.push(record)
      setTimeout(() => { controller.abort() }, 10)
    }
    expect(got.map(r => r.peerId)).toEqual(['p1'])
    expect(await s.provide(CID)).toBe(1)
    expect(hanging.provided).toBe(1)
  })

  it('yields nothing before start and after stop', async () => {
    const a = scripted('a', () => [{ peerId: 'p1', addresses: ['tcp://10.0.0.1:1'] }])
    const s = new DiscoveryService({ discoveries: [a], localPeerId: 'me', localAddresses: () => [], log: silentLogger })
    expect(await collect(s.findProviders(CID))).toEqual([])
    await s.start()
    expect(await collect(s.findProviders(CID))).toHaveLength(1)
    await s.stop()
    expect(await collect(s.findProviders(CID))).toEqual([])
    expect(await s.provide(CID)).toBe(0)
  })
})
