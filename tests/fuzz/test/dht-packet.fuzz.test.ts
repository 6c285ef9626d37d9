// What arrives on the DHT's UDP socket: discovery-dht's guard (inspectPacket) never throws, and
// every packet it lets through is handled by a real bittorrent-dht node without an exception
// (the library crashes the process on some malformed packets, which is why the guard exists).
// Packets are KRPC messages built field by field (right and wrong types, sizes and names), then
// mutated byte by byte.
import DHT from 'bittorrent-dht'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encode } from '../../../packages/discovery-dht/src/bencode.js'
import type { BValue } from '../../../packages/discovery-dht/src/bencode.js'
import { inspectPacket } from '../../../packages/discovery-dht/src/krpc-schema.js'
import { fc, fuzz } from '../src/fuzz.js'
import { mutatedBytes } from '../src/mutate.js'

let node: DHT
/** The DHT node's UDP socket: a packet given to its 'message' listeners runs the library's whole path. */
let socket: { emit: (event: string, packet: Buffer, from: { address: string, port: number, family: string, size: number }) => boolean }

beforeAll(async () => {
  node = new DHT({ bootstrap: false, verify: () => false })
  node.on('warning', () => {})
  node.on('error', () => {})
  await new Promise<void>(resolve => { node.listen(0, '127.0.0.1', () => { resolve() }) })
  socket = (node as unknown as { _rpc: { socket: { socket: typeof socket } } })._rpc.socket.socket
})

afterAll(async () => {
  await new Promise<void>(resolve => { node.destroy(() => { resolve() }) })
})

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max })
/** Any bencode value, small. */
const anyValue: fc.Arbitrary<BValue> = fc.letrec<{ v: BValue }>(tie => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -1e12, max: 1e12 }),
    bytes(0, 40),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.string({ maxLength: 8 }), tie('v')), { maxLength: 4 }).map(entries => new Map(entries))
  )
})).v
/** A field as the library expects it (20-byte ids, ports, tokens), or something else in its place. */
const field = (right: fc.Arbitrary<BValue>): fc.Arbitrary<BValue> => fc.oneof({ weight: 4, arbitrary: right }, { weight: 1, arbitrary: anyValue })
const id = field(bytes(20, 20))
const args = fc.record({
  id,
  target: field(bytes(20, 20)),
  info_hash: field(bytes(20, 20)),
  token: field(bytes(1, 20)),
  port: field(fc.integer({ min: 0, max: 65535 })),
  implied_port: field(fc.integer({ min: 0, max: 1 })),
  v: field(bytes(0, 60)),
  k: field(bytes(32, 32)),
  sig: field(bytes(64, 64)),
  seq: field(fc.integer({ min: 0, max: 2 ** 40 })),
  salt: field(bytes(0, 70)),
  cas: field(fc.integer({ min: 0, max: 100 }))
}, { requiredKeys: [] })
const toMap = (record: Record<string, BValue | undefined>): Map<string, BValue> => new Map(Object.entries(record).filter((e): e is [string, BValue] => e[1] !== undefined))
const query = fc.record({
  t: field(bytes(1, 4)),
  y: field(fc.constantFrom('q', 'r', 'e').map(s => new TextEncoder().encode(s))),
  q: field(fc.constantFrom('ping', 'find_node', 'get_peers', 'announce_peer', 'get', 'put', 'vote').map(s => new TextEncoder().encode(s))),
  a: field(args.map(toMap)),
  r: field(fc.record({ id, nodes: field(bytes(0, 52)), values: field(fc.array(bytes(6, 6), { maxLength: 3 })), token: field(bytes(1, 8)), v: field(bytes(0, 30)), k: field(bytes(32, 32)), sig: field(bytes(64, 64)), seq: field(fc.integer({ min: 0, max: 9 })) }, { requiredKeys: [] }).map(toMap)),
  e: field(fc.tuple(fc.integer({ min: 200, max: 205 }), bytes(0, 10)))
}, { requiredKeys: [] }).map(m => encode(toMap(m)))

const seeds = [
  'd1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe',
  'd1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe',
  'd1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe',
  'd1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe',
  'd1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re'
].map(s => new TextEncoder().encode(s))
const packet = fc.oneof({ weight: 3, arbitrary: query }, { weight: 2, arbitrary: mutatedBytes(seeds) }, { weight: 1, arbitrary: bytes(0, 200) })
const from = { address: '127.0.0.1', port: 9, family: 'IPv4', size: 0 }

describe('DHT packets', () => {
  it('dht-packet: the guard never throws, and what it lets through the library handles without an exception', async () => {
    let accepted = 0
    await fuzz('dht-packet', packet, (bytes) => {
      const verdict = inspectPacket(bytes)
      if (!verdict.ok) return
      accepted++
      // An exception here would, on a real socket, be an uncaught exception: the process dies.
      socket.emit('message', Buffer.from(bytes), { ...from, size: bytes.length })
    })
    // The library's path was exercised, not only the guard's refusals.
    expect(accepted).toBeGreaterThan(0)
  })
})
