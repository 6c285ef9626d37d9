// Garbage and valid-but-hostile KRPC packets sent at a discovery's UDP port: packets that would
// crash bittorrent-dht are dropped, the node keeps answering, its own record survives a flood of
// stored values, and a later provide and find succeed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { dhtDiscovery } from '../src/index.js'
import { encode } from '../src/bencode.js'
import { startLocalDht } from './helpers/local-dht.js'
import { captureLogs, nodeComponents, testCid } from './helpers/components.js'
import { bytes, RawKrpcNode } from './helpers/raw-krpc.js'
import type { BValue } from '../src/bencode.js'
import type { DhtDiscovery, DhtDiscoveryInit } from '../src/index.js'
import type { Endpoint } from './helpers/raw-krpc.js'
import type { LocalDht } from './helpers/local-dht.js'
import type { ContentId, ProviderRecord } from '@codio-chunk/interface'

const CIDS = ['flood 0', 'flood 1', 'flood 2'].map(testCid)

let network: LocalDht
let attacker: RawKrpcNode
const discoveries: DhtDiscovery[] = []

beforeAll(async () => {
  network = await startLocalDht({ count: 12 })
  // It answers queries (with no nodes), so the routing-table entry the victim keeps for it does
  // not slow lookups down with timeouts.
  attacker = await RawKrpcNode.start(() => new Map<string, BValue>([['nodes', new Uint8Array(0)]]))
})

afterAll(async () => {
  await Promise.all(discoveries.map(async d => { await d.stop() }))
  await attacker?.close()
  await network?.stop()
})

async function start (init: DhtDiscoveryInit, addresses: readonly string[]): Promise<{ discovery: DhtDiscovery, endpoint: Endpoint, lines: string[] }> {
  const { logger, lines } = captureLogs()
  const discovery = dhtDiscovery({ bootstrap: network.bootstrap, host: '127.0.0.1', ...init })(nodeComponents(() => addresses, logger))
  discoveries.push(discovery)
  await discovery.start({ signal: AbortSignal.timeout(10_000) })
  const port = Number(discovery.dhtAddress?.split(':')[1])
  return { discovery, endpoint: { host: '127.0.0.1', port }, lines }
}

async function find (discovery: DhtDiscovery, cid: ContentId): Promise<ProviderRecord[]> {
  const out: ProviderRecord[] = []
  for await (const record of discovery.findProviders(cid, { signal: AbortSignal.timeout(10_000) })) out.push(record)
  return out
}

const ID = 'abcdefghij0123456789'
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Packets that each ended a bittorrent-dht 11.0.12 process, or would reach it with fields of the wrong type. */
const MALFORMED: Array<[string, Uint8Array]> = [
  ['find_node with an integer target', text(`d1:ad2:id20:${ID}6:targeti5ee1:q9:find_node1:t2:aa1:y1:qe`)],
  ['get_peers with an integer info_hash', text(`d1:ad2:id20:${ID}9:info_hashi5ee1:q9:get_peers1:t2:aa1:y1:qe`)],
  ['get_peers with a short info_hash', text(`d1:ad2:id20:${ID}9:info_hash3:abce1:q9:get_peers1:t2:aa1:y1:qe`)],
  ['announce_peer with an integer token', text(`d1:ad2:id20:${ID}9:info_hash20:${ID}4:porti80e5:tokeni1ee1:q13:announce_peer1:t2:aa1:y1:qe`)],
  ['get with a dictionary target', text(`d1:ad2:id20:${ID}6:targetd1:xi1eee1:q3:get1:t2:aa1:y1:qe`)],
  ['put with a signature but no key', text(`d1:ad2:id20:${ID}3:seqi1e3:sig64:${'s'.repeat(64)}5:token4:abcd1:v2:hie1:q3:put1:t2:aa1:y1:qe`)],
  ['put with a key but no signature', text(`d1:ad2:id20:${ID}1:k32:${'k'.repeat(32)}3:seqi1e5:token4:abcd1:v2:hie1:q3:put1:t2:aa1:y1:qe`)],
  ['an integer beyond 2^53', text(`d1:ad2:id20:${ID}1:xi999999999999999999999ee1:q4:ping1:t2:aa1:y1:qe`)],
  ['a __proto__ key', text(`d1:ad2:id20:${ID}9:__proto__d2:idi1eee1:q4:ping1:t2:aa1:y1:qe`)],
  ['a query without a name', text(`d1:ad2:id20:${ID}e1:t2:aa1:y1:qe`)],
  ['arguments that are a list', text('d1:al2:ide1:q4:ping1:t2:aa1:y1:qe')],
  ['a reply whose id is an integer', text('d1:rd2:idi5ee1:t2:aa1:y1:re')],
  ['a reply whose body is a list', text('d1:rl2:ide1:t2:aa1:y1:re')],
  ['an error with a one-byte transaction id', text('d1:eli201e3:boge1:t1:a1:y1:ee')],
  ['an unknown message type', text('d1:t2:aa1:y1:ze')],
  ['truncated', text(`d1:ad2:id20:${ID}e1:q4:pi`)],
  ['trailing bytes', text(`d1:ad2:id20:${ID}e1:q4:ping1:t2:aa1:y1:qeXYZ`)],
  ['nested 60 000 deep', text('l'.repeat(60_000))],
  ['a string longer than the packet', text('d1:t999999:aa')],
  ['empty', new Uint8Array(0)]
]

/**
 * Pings until answered (at most three tries): after a flood, the victim's answers to it may still
 * fill the attacker's receive buffer, and the kernel drops what does not fit.
 */
async function answers (to: Endpoint): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) if (await attacker.query(to, 'ping', [], 1000) !== undefined) return true
  return false
}

/** Sends in small batches, yielding in between so the receiving socket (same process) reads them. */
async function sendAll (packets: Uint8Array[], to: Endpoint): Promise<void> {
  for (let i = 0; i < packets.length; i += 50) {
    await Promise.all(packets.slice(i, i + 50).map(async p => { await attacker.sendRaw(p, to) }))
    await new Promise(resolve => setImmediate(resolve))
  }
}

describe('a flood of garbage and hostile KRPC at the discovery\'s port', () => {
  it('drops what would crash the DHT library and keeps working', async () => {
    // Limits high enough that every packet reaches the checks instead of the rate limiter.
    const victim = await start({ maxQueriesPerSource: 1_000_000, maxQueriesPerSecond: 1_000_000 }, ['tcp://127.0.0.1:4001'])
    await victim.discovery.provide(CIDS[0], { signal: AbortSignal.timeout(10_000) })
    for (const [, packet] of MALFORMED) await attacker.sendRaw(packet, victim.endpoint)
    expect(await answers(victim.endpoint)).toBe(true)
    expect(victim.discovery.stats().packetsDropped).toBe(MALFORMED.length)

    // Volume: garbage, pings from made-up nodes, stores of values and peers with valid tokens.
    const before = process.memoryUsage().heapUsed
    const token = (await attacker.query(victim.endpoint, 'get_peers', [['info_hash', randomBytes(20)]]))?.get('token') as Uint8Array
    expect(token).toBeInstanceOf(Uint8Array)
    const packets: Uint8Array[] = []
    const query = (q: string, args: Array<[string, BValue]>, id: Uint8Array = attacker.id): Uint8Array =>
      encode(new Map<string, BValue>([['t', randomBytes(2)], ['y', bytes('q')], ['q', bytes(q)], ['a', new Map<string, BValue>([['id', id], ...args])]]))
    for (let i = 0; i < 3000; i++) {
      packets.push(randomBytes(1 + (i * 7919) % 1400))
      packets.push(query('ping', [], randomBytes(20)))
      packets.push(query('get_peers', [['info_hash', randomBytes(20)]]))
      packets.push(query('announce_peer', [['info_hash', randomBytes(20)], ['port', 1 + i], ['token', token]]))
      if (i < 2000) packets.push(query('put', [['token', token], ['v', randomBytes(900)]])) // 2000 values > the 1000 kept
    }
    await sendAll(packets, victim.endpoint)
    expect(await answers(victim.endpoint)).toBe(true)
    const grown = process.memoryUsage().heapUsed - before
    expect(grown).toBeLessThan(64 * 1024 * 1024)

    // The victim's own record was pushed out of its store by the flood of values; it is put back
    // when asked for, so a finder still gets it from the victim's own node.
    const finder = await start({}, ['tcp://127.0.0.1:5001'])
    expect(await find(finder.discovery, CIDS[0])).toEqual([{ peerId: expect.any(String), addresses: ['tcp://127.0.0.1:4001'] }])
    expect(finder.lines.some(l => l.includes(`(record from 127.0.0.1:${victim.endpoint.port}, its own node)`))).toBe(true)
    await victim.discovery.provide(CIDS[1], { signal: AbortSignal.timeout(10_000) })
    expect((await find(finder.discovery, CIDS[1])).map(r => r.addresses)).toEqual([['tcp://127.0.0.1:4001']])
    // The first drop is logged at once; the rest are summed up every 10 seconds.
    expect(victim.lines).toContain('dropped 1 incoming DHT packets (1 find_node: bad target)')
  })

  it('drops most of a flood from one source at the default limits and still works', async () => {
    const victim = await start({}, ['tcp://127.0.0.1:4002'])
    const packets = Array.from({ length: 20_000 }, (_, i) => i % 2 === 0 ? randomBytes(64) : encode(new Map<string, BValue>([
      ['t', randomBytes(2)], ['y', bytes('q')], ['q', bytes('find_node')], ['a', new Map<string, BValue>([['id', randomBytes(20)], ['target', randomBytes(20)]])]
    ])))
    await sendAll(packets, victim.endpoint)
    // Give the socket time to read what the kernel queued.
    await new Promise(resolve => setTimeout(resolve, 200))
    expect(victim.discovery.stats().packetsDropped).toBeGreaterThan(1000)
    await victim.discovery.provide(CIDS[2], { signal: AbortSignal.timeout(10_000) })
    const finder = await start({}, ['tcp://127.0.0.1:5002'])
    expect((await find(finder.discovery, CIDS[2])).map(r => r.addresses)).toEqual([['tcp://127.0.0.1:4002']])
  })
})
