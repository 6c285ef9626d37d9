import { createSocket } from 'node:dgram'
import { setMaxListeners } from 'node:events'
import DHT from 'bittorrent-dht'
import { AbortError } from '@codio-chunk/interface'
import { raceAbort } from '@codio-chunk/protocol'
import { DhtError } from './errors.js'
import { GuardedSocket } from './guarded-socket.js'
import { InboundLimiter } from './inbound-limiter.js'
import { verifyEd25519 } from './signature.js'
import type { BDict } from './bencode.js'
import type { MutableItem } from './record-check.js'

/** A DHT node's UDP endpoint. */
export interface Endpoint {
  host: string
  port: number
}

/** A routing-table entry. */
export interface NodeContact extends Endpoint {
  id: Uint8Array
}

/** A signed BEP 44 mutable item (no salt), as published. */
export interface SignedItem {
  k: Uint8Array
  seq: number
  v: Uint8Array
  sig: Uint8Array
}

/** How a {@link DhtNode} is made. */
export interface DhtNodeInit {
  nodeId: Uint8Array
  bootstrap: Endpoint[]
  queryTimeout: number
  maxQueriesPerSource: number
  maxQueriesPerSecond: number
  /** Told of each dropped packet and why. */
  onDrop: (reason: string) => void
  /** Told of each query that passed the checks, before the library answers it. */
  onQuery: (query: string, args: BDict) => void
  /** Told of the library's warnings (a send that failed, an answer nobody waited for). */
  onWarning: (error: Error) => void
}

/** Nodes an announcement or a record is stored on: the closest that answered the lookup (BEP 5's K). */
export const STORE_NODES = 8
/** How long this node keeps a peer other nodes announced, in ms (the library keeps them for ever by default). */
export const PEER_TTL = 30 * 60 * 1000
/** Lookup tables the library caches (each holds the nodes and tokens of one recent lookup). */
const MAX_TABLES = 256
/** BEP 44 items this node stores for others (each at most 1000 bytes of value). */
const MAX_VALUES = 1000
/** Peers this node stores for others, across all info hashes. */
const MAX_PEERS = 10_000
/** DHT-wide `get`s that may run at once; each runs on until its lookup converges. */
const MAX_BACKGROUND_GETS = 4
/** Endpoints whose node id is remembered (to keep one routing-table entry per endpoint). */
const MAX_REMEMBERED_ENDPOINTS = 10_000

/**
 * One `bittorrent-dht` node behind a guarded socket, with the few operations the discovery needs.
 * It keeps everything that touches the library's internals (its KRPC client, lookup tables and
 * value store) in one place, checked when the node is made.
 *
 * @example
 * ```ts
 * import { DhtNode } from './dht-node.js'
 * const node = new DhtNode({ nodeId, bootstrap: [{ host: '127.0.0.1', port: 6881 }], queryTimeout: 2000,
 *   maxQueriesPerSource: 50, maxQueriesPerSecond: 500, onDrop () {}, onQuery () {}, onWarning () {} })
 * await node.listen(0, '127.0.0.1')
 * const id = await node.ping({ host: '127.0.0.1', port: 6881 })
 * await node.destroy()
 * ```
 */
export class DhtNode {
  readonly #dht: DHT
  readonly #socket: GuardedSocket
  readonly #lifetime = new AbortController()
  readonly #peerListeners = new Map<string, Set<(peer: Endpoint, from: Endpoint | null) => void>>()
  readonly #ready: Promise<void>
  readonly #idOf = new Map<string, string>()
  #backgroundGets = 0

  constructor (init: DhtNodeInit) {
    // Every pending operation listens for the end of the node's life.
    setMaxListeners(Infinity, this.#lifetime.signal)
    this.#socket = new GuardedSocket(createSocket('udp4'), {
      limiter: new InboundLimiter({ perSource: init.maxQueriesPerSource, queries: init.maxQueriesPerSecond }),
      onDrop: init.onDrop,
      onQuery: init.onQuery,
      onSender: (id, from) => { this.#oneIdPerEndpoint(id, `${from.address}:${from.port}`) }
    })
    this.#dht = new DHT({
      nodeId: Buffer.from(init.nodeId),
      bootstrap: init.bootstrap.length === 0 ? false : init.bootstrap.map(e => ({ host: e.host, port: e.port })),
      verify: (signature, message, publicKey) => verifyEd25519(publicKey, message, signature),
      socket: this.#socket,
      timeout: init.queryTimeout,
      maxTables: MAX_TABLES,
      maxValues: MAX_VALUES,
      maxPeers: MAX_PEERS,
      maxAge: PEER_TTL
    })
    checkInternals(this.#dht)
    this.#ready = new Promise(resolve => {
      if (this.#dht.ready === true) resolve()
      else this.#dht.once('ready', () => { resolve() })
    })
    this.#dht.on('warning', (error: Error) => { init.onWarning(error) })
    this.#dht.on('error', (error: Error) => { init.onWarning(error) })
    this.#dht.on('peer', (peer: Endpoint, infoHash: Uint8Array, from: { host?: string, address?: string, port: number } | null) => {
      const listeners = this.#peerListeners.get(hex(infoHash))
      if (listeners === undefined) return
      // `from` is the answering node's socket address (`address`, from node:dgram), null for
      // peers this node stores itself.
      const source = from === null ? null : { host: from.address ?? from.host ?? '', port: from.port }
      for (const listener of listeners) listener(peer, source)
    })
  }

  /**
   * Adds routing-table entries (from a state file) before the node bootstraps, so it starts from
   * them. Call right after the constructor, before yielding to the event loop.
   */
  seed (contacts: readonly NodeContact[]): void {
    const own = hex(this.#dht.nodeId)
    for (const contact of contacts) {
      if (hex(contact.id) === own) continue
      this.#dht.addNode({ id: Buffer.from(contact.id), host: contact.host, port: contact.port })
    }
  }

  /**
   * Binds the UDP socket. Call in the same event-loop turn as the constructor: the library starts
   * bootstrapping on the next tick and would otherwise bind a random port itself.
   */
  async listen (port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => { reject(error) }
      this.#socket.once('error', onError)
      this.#dht.listen(port, host, () => {
        this.#socket.off('error', onError)
        resolve()
      })
    })
  }

  /** Resolves once the library has tried its bootstrap nodes (found some or not). */
  get ready (): Promise<void> {
    return this.#ready
  }

  /** The bound UDP address, or undefined before `listen` and after `destroy`. */
  get address (): Endpoint | undefined {
    if (!this.#dht.listening || this.#dht.destroyed) return undefined
    try {
      const { address, port } = this.#dht.address()
      return { host: address, port }
    } catch {
      return undefined
    }
  }

  /** Nodes in the routing table. */
  get nodeCount (): number {
    return this.#dht.nodes.count()
  }

  /** The node's DHT id. */
  get id (): Uint8Array {
    return this.#dht.nodeId
  }

  /** A snapshot of the routing table. */
  contacts (): NodeContact[] {
    return this.#dht.nodes.toArray().map(c => ({ id: new Uint8Array(c.id), host: c.host, port: c.port }))
  }

  /**
   * Looks `infoHash` up (BEP 5 `get_peers`), calling `onPeer` for every peer endpoint as answers
   * arrive, with the node that sent it (null for peers this node stores itself). `done` resolves
   * when the lookup converged; `stop` ends it early (the library then stops at the next answer).
   */
  lookup (infoHash: Uint8Array, onPeer: (peer: Endpoint, from: Endpoint | null) => void): { done: Promise<void>, stop: () => void } {
    const key = hex(infoHash)
    let listeners = this.#peerListeners.get(key)
    if (listeners === undefined) {
      listeners = new Set()
      this.#peerListeners.set(key, listeners)
    }
    const listener = (peer: Endpoint, from: Endpoint | null): void => { onPeer(peer, from) }
    listeners.add(listener)
    let abort = (): void => {}
    const done = this.#alive(new Promise<void>((resolve, reject) => {
      abort = this.#dht.lookup(Buffer.from(infoHash), (error) => { error === null ? resolve() : reject(error) })
    }))
    const stop = (): void => {
      abort()
      listeners.delete(listener)
      if (listeners.size === 0 && this.#peerListeners.get(key) === listeners) this.#peerListeners.delete(key)
    }
    void done.then(stop, stop)
    return { done, stop }
  }

  /** Asks one endpoint for its node id (`ping`). */
  async ping (endpoint: Endpoint): Promise<Uint8Array> {
    const reply = await this.#query(endpoint, 'ping', {})
    return new Uint8Array(reply.id as Buffer)
  }

  /** Asks one endpoint for the BEP 44 item at `target`; undefined if it has none. */
  async getFrom (endpoint: Endpoint, target: Uint8Array): Promise<MutableItem | undefined> {
    const reply = await this.#query(endpoint, 'get', { target: Buffer.from(target) })
    return reply.v === undefined ? undefined : reply
  }

  /**
   * Looks the BEP 44 item at `target` up across the DHT (the library checks signatures and keeps
   * the highest `seq`). Undefined if none was found, or if {@link MAX_BACKGROUND_GETS} such
   * lookups are already running (they cannot be cancelled, so they are rationed).
   */
  async getAnywhere (target: Uint8Array): Promise<MutableItem | undefined> {
    if (this.#backgroundGets >= MAX_BACKGROUND_GETS || this.#lifetime.signal.aborted) return undefined
    this.#backgroundGets++
    const found = new Promise<MutableItem | undefined>((resolve, reject) => {
      this.#dht.get(Buffer.from(target), {}, (error, reply) => {
        this.#backgroundGets--
        if (error !== null) reject(error)
        else resolve(reply === null || reply.v === undefined ? undefined : reply)
      })
    })
    return await this.#alive(found)
  }

  /**
   * Announces this node as a peer for `infoHash` to the {@link STORE_NODES} closest nodes that
   * answered a lookup, with `implied_port` so they store the port this socket sends from. Resolves
   * with how many accepted it.
   */
  async announce (infoHash: Uint8Array): Promise<number> {
    const closest = await this.#closest(infoHash, 'get_peers')
    const port = this.address?.port ?? 0
    return await this.#storeOn(closest, { q: 'announce_peer', a: { info_hash: Buffer.from(infoHash), port, implied_port: 1 } })
  }

  /** Stores a signed item on the {@link STORE_NODES} closest nodes to its target (BEP 44 `put`). */
  async put (target: Uint8Array, item: SignedItem): Promise<number> {
    const closest = await this.#closest(target, 'get')
    return await this.#storeOn(closest, { q: 'put', a: { v: Buffer.from(item.v), k: Buffer.from(item.k), seq: item.seq, sig: Buffer.from(item.sig) } })
  }

  /** Keeps a signed item in this node's own store, so it answers `get` for it directly. */
  storeLocally (target: Uint8Array, item: SignedItem): void {
    this.#dht._values.set(hex(target), { v: Buffer.from(item.v), k: Buffer.from(item.k), seq: item.seq, sig: Buffer.from(item.sig), id: Buffer.from(target) })
  }

  /** True if this node's store holds the item at `target` with sequence number `seq`. */
  holds (target: Uint8Array, seq: number): boolean {
    return this.#dht._values.get(hex(target))?.seq === seq
  }

  /** Closes the socket and stops every timer; pending operations reject. Safe to call twice. */
  async destroy (): Promise<void> {
    this.#lifetime.abort()
    this.#peerListeners.clear()
    await new Promise<void>(resolve => { this.#dht.destroy(() => { resolve() }) })
  }

  /**
   * The library adds every sender to its routing table under the id it claims, so one socket
   * claiming a new random id in each packet would fill the table with entries that all lead to
   * it. An endpoint keeps one entry: when it claims another id, the entry under its old id goes.
   */
  #oneIdPerEndpoint (id: Uint8Array, endpoint: string): void {
    const claimed = hex(id)
    const previous = this.#idOf.get(endpoint)
    if (previous === claimed) return
    if (previous !== undefined) {
      this.#idOf.delete(endpoint)
      this.#dht.removeNode(Buffer.from(previous, 'hex'))
    } else if (this.#idOf.size >= MAX_REMEMBERED_ENDPOINTS) {
      const oldest = this.#idOf.keys().next().value as string
      this.#idOf.delete(oldest)
    }
    this.#idOf.set(endpoint, claimed)
  }

  async #closest (target: Uint8Array, kind: 'get_peers' | 'get'): Promise<Array<{ id: Buffer, host: string, port: number, token?: Buffer | null }>> {
    await this.#alive(new Promise<void>((resolve, reject) => {
      const done = (error: Error | null): void => { error === null ? resolve() : reject(error) }
      if (kind === 'get_peers') this.#dht.lookup(Buffer.from(target), done)
      else this.#dht.get(Buffer.from(target), { cache: false }, done)
    }))
    const table = this.#dht._tables.get(hex(target))
    return (table?.closest(target, STORE_NODES) ?? []).filter(c => Buffer.isBuffer(c.token))
  }

  async #storeOn (nodes: Array<{ id: Buffer, host: string, port: number, token?: Buffer | null }>, message: { q: string, a: Record<string, unknown> }): Promise<number> {
    if (nodes.length === 0) return 0
    return await this.#alive(new Promise<number>((resolve) => {
      // queryAll sets each node's token on the message as it sends it.
      this.#dht._rpc.queryAll(nodes, { q: message.q, a: { ...message.a, id: this.#dht._rpc.id } }, null, (_error, hits) => { resolve(hits) })
    }))
  }

  async #query (endpoint: Endpoint, q: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.#lifetime.signal.aborted) throw stopped()
    return await this.#alive(new Promise((resolve, reject) => {
      this.#dht._rpc.query({ host: endpoint.host, port: endpoint.port }, { q, a: { ...args, id: this.#dht._rpc.id } }, (error, message) => {
        if (error !== null) {
          reject(error)
          return
        }
        const reply = message?.r
        // The guarded socket let only replies with a 20-byte id through.
        if (reply === undefined || !Buffer.isBuffer(reply.id)) reject(new DhtError(`${endpoint.host}:${endpoint.port} sent a reply without a node id`))
        else resolve(reply)
      })
    }))
  }

  /** Rejects with a DhtError as soon as the node is destroyed (the library may never call back then). */
  async #alive<T> (promise: Promise<T>): Promise<T> {
    try {
      return await raceAbort(promise, this.#lifetime.signal, 'DHT operation')
    } catch (err) {
      if (err instanceof AbortError && this.#lifetime.signal.aborted) throw stopped()
      throw err
    }
  }
}

function stopped (): DhtError {
  return new DhtError('The DHT node was stopped')
}

/** Lower-case hex of bytes. */
export function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

function checkInternals (dht: DHT): void {
  const ok = typeof dht._rpc?.query === 'function' && typeof dht._rpc.queryAll === 'function' &&
    typeof dht._tables?.get === 'function' && typeof dht._values?.get === 'function' && typeof dht._values.set === 'function' &&
    typeof dht.nodes?.count === 'function'
  if (!ok) {
    dht.destroy()
    throw new DhtError('This bittorrent-dht release is not the one @codio-chunk/discovery-dht was written for (it needs bittorrent-dht 11); install bittorrent-dht@^11.0.12')
  }
}
