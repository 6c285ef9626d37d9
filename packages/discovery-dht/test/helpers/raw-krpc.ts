// A DHT "node" written by hand: a UDP socket on 127.0.0.1 that speaks bencoded KRPC through the
// package's own codec, answering queries however a test wants (lying, flooding, forging records).
import { createSocket } from 'node:dgram'
import { randomBytes } from 'node:crypto'
import { decode, encode } from '../../src/bencode.js'
import type { Socket, RemoteInfo } from 'node:dgram'
import type { BDict, BValue } from '../../src/bencode.js'

export interface Endpoint { host: string, port: number }

/** Answers a query with the body of a reply (`r`), or undefined to stay silent. */
export type QueryHandler = (query: string, args: BDict, from: RemoteInfo) => BDict | undefined

export class RawKrpcNode {
  readonly id: Uint8Array
  readonly #socket: Socket
  readonly #pending = new Map<string, (reply: BDict) => void>()
  #tid = 0
  handler: QueryHandler

  private constructor (socket: Socket, id: Uint8Array, handler: QueryHandler) {
    this.#socket = socket
    this.id = id
    this.handler = handler
    socket.on('message', (packet, from) => { this.#receive(packet, from) })
  }

  /** Binds a socket on 127.0.0.1 with node id `id` (default random). */
  static async start (handler: QueryHandler = () => undefined, id: Uint8Array = randomBytes(20)): Promise<RawKrpcNode> {
    const socket = createSocket('udp4')
    await new Promise<void>(resolve => { socket.bind(0, '127.0.0.1', resolve) })
    return new RawKrpcNode(socket, new Uint8Array(id), handler)
  }

  get port (): number {
    return this.#socket.address().port
  }

  /** Sends raw bytes. */
  async sendRaw (bytes: Uint8Array, to: Endpoint): Promise<void> {
    await new Promise<void>((resolve) => { this.#socket.send(bytes, to.port, to.host, () => { resolve() }) })
  }

  /** Sends a query and waits for its reply (undefined after `timeout` ms). */
  async query (to: Endpoint, query: string, args: Array<[string, BValue]>, timeout = 2000): Promise<BDict | undefined> {
    const tid = Buffer.alloc(2)
    tid.writeUInt16BE(++this.#tid % 65536)
    const key = `${to.host}:${to.port}:${tid.toString('hex')}`
    const reply = new Promise<BDict | undefined>(resolve => {
      const timer = setTimeout(() => {
        this.#pending.delete(key)
        resolve(undefined)
      }, timeout)
      this.#pending.set(key, (r) => {
        clearTimeout(timer)
        resolve(r)
      })
    })
    const message = new Map<string, BValue>([
      ['t', tid], ['y', bytes('q')], ['q', bytes(query)],
      ['a', new Map<string, BValue>([['id', this.id], ...args])]
    ])
    await this.sendRaw(encode(message), to)
    return await reply
  }

  /** Pings every node so each adds this one to its routing table. */
  async join (nodes: Endpoint[]): Promise<void> {
    await Promise.all(nodes.map(async node => { await this.query(node, 'ping', []) }))
  }

  /** Announces this socket as a peer for `infoHash` on every node (`get_peers` for a token, then `announce_peer` with implied_port). */
  async announce (infoHash: Uint8Array, nodes: Endpoint[]): Promise<number> {
    let stored = 0
    await Promise.all(nodes.map(async node => {
      const reply = await this.query(node, 'get_peers', [['info_hash', infoHash]])
      const token = reply?.get('token')
      if (!(token instanceof Uint8Array)) return
      const ack = await this.query(node, 'announce_peer', [['info_hash', infoHash], ['port', this.port], ['implied_port', 1], ['token', token]])
      if (ack !== undefined) stored++
    }))
    return stored
  }

  async close (): Promise<void> {
    await new Promise<void>(resolve => { this.#socket.close(() => { resolve() }) })
  }

  #receive (packet: Buffer, from: RemoteInfo): void {
    let message: BValue
    try {
      message = decode(packet, { maxDepth: 32 })
    } catch {
      return
    }
    if (!(message instanceof Map)) return
    const t = message.get('t')
    const y = message.get('y')
    if (!(t instanceof Uint8Array) || !(y instanceof Uint8Array)) return
    const type = Buffer.from(y).toString()
    if (type === 'r' || type === 'e') {
      const key = `${from.address}:${from.port}:${Buffer.from(t).toString('hex')}`
      const done = this.#pending.get(key)
      this.#pending.delete(key)
      const r = message.get('r')
      done?.(r instanceof Map ? r : new Map())
      return
    }
    if (type !== 'q') return
    const q = message.get('q')
    const a = message.get('a')
    if (!(q instanceof Uint8Array) || !(a instanceof Map)) return
    const body = this.handler(Buffer.from(q).toString(), a, from)
    if (body === undefined) return
    if (!body.has('id')) body.set('id', this.id)
    const reply = encode(new Map<string, BValue>([['t', t], ['y', bytes('r')], ['r', body]]))
    this.#socket.send(reply, from.port, from.address)
  }
}

/** ASCII text as a byte string. */
export function bytes (text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/** A compact IPv4 peer (6 bytes). */
export function compactPeer (host: string, port: number): Uint8Array {
  const out = Buffer.alloc(6)
  host.split('.').forEach((part, i) => { out[i] = Number(part) })
  out.writeUInt16BE(port, 4)
  return out
}

/** The endpoints of a local network's nodes. */
export function endpointsOf (nodes: Array<{ address: () => { port: number } }>): Endpoint[] {
  return nodes.map(node => ({ host: '127.0.0.1', port: node.address().port }))
}
