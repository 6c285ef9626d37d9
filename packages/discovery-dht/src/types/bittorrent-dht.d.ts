// The part of bittorrent-dht 11 (and of the k-rpc and k-bucket objects it exposes) this package
// uses. Members starting with `_` are internal to the library: `dht-node.ts` checks at start that
// they exist, so a release that changes them fails loudly instead of misbehaving.
declare module 'bittorrent-dht' {
  import { EventEmitter } from 'node:events'
  import type { AddressInfo } from 'node:net'

  interface Contact {
    id: Buffer
    host: string
    port: number
    token?: Buffer | null
  }

  interface KBucket {
    count(): number
    toArray(): Contact[]
    closest(id: Uint8Array, n?: number): Contact[]
  }

  /** A decoded KRPC message (bencode 2: byte strings are Buffers). */
  interface KrpcMessage {
    t?: Buffer
    y?: Buffer
    r?: Record<string, unknown>
    e?: unknown
  }

  type QueryCallback = (error: (Error & { code?: unknown }) | null, message?: KrpcMessage, from?: { address?: string, host?: string, port: number }) => void

  interface Krpc {
    id: Buffer
    k: number
    nodes: KBucket
    query(node: { host: string, port: number, id?: Buffer, token?: Buffer | null }, message: { q: string, a: Record<string, unknown> }, callback: QueryCallback): void
    queryAll(nodes: Contact[], message: { q: string, a: Record<string, unknown> }, visit: null, callback: (error: Error | null, hits: number) => void): void
  }

  interface StoredValue {
    v: Buffer
    id: Buffer
    k?: Buffer
    sig?: Buffer
    seq?: number
    salt?: Buffer
  }

  interface DhtOptions {
    nodeId?: Uint8Array
    bootstrap?: Array<string | { host: string, port: number }> | false
    verify?: (signature: Buffer, message: Buffer, publicKey: Buffer) => boolean
    socket?: unknown
    concurrency?: number
    timeout?: number
    maxTables?: number
    maxValues?: number
    maxPeers?: number
    maxAge?: number
  }

  interface GetReply {
    id?: Buffer
    v?: unknown
    k?: Buffer
    sig?: Buffer
    seq?: number
  }

  class DHT extends EventEmitter {
    constructor (options?: DhtOptions)
    readonly nodeId: Buffer
    readonly nodes: KBucket
    listening: boolean
    destroyed: boolean
    ready?: boolean
    listen(port: number, host: string, callback?: () => void): void
    address(): AddressInfo
    addNode(node: { host: string, port: number, id?: Uint8Array }): void
    removeNode(id: Uint8Array): void
    lookup(infoHash: Uint8Array, callback?: (error: Error | null, visited?: number) => void): () => void
    get(target: Uint8Array, options: { verify?: DhtOptions['verify'], cache?: boolean }, callback: (error: Error | null, reply: GetReply | null) => void): void
    put(item: { k: Buffer, seq: number, v: Buffer, sign: (bytes: Buffer) => Buffer }, callback: (error: Error | null) => void): void
    destroy(callback?: () => void): void
    _rpc: Krpc
    _tables: { get(key: string): KBucket | undefined }
    _values: { get(key: string): StoredValue | undefined, set(key: string, value: StoredValue): void }
  }

  export default DHT
}
