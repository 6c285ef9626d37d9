import { EventEmitter } from 'node:events'
import { inspectPacket } from './krpc-schema.js'
import type { AddressInfo } from 'node:net'
import type { RemoteInfo, Socket } from 'node:dgram'
import type { BDict } from './bencode.js'
import type { InboundLimiter } from './inbound-limiter.js'

/** What {@link GuardedSocket} reports besides the packets it passes on. */
export interface GuardedSocketOptions {
  /** Decides, per source and per second, which queries are answered. */
  limiter: InboundLimiter
  /** Told of every dropped packet, with why (`rate`, or what was wrong with it). */
  onDrop: (reason: string) => void
  /** Told of every query that passed, before the DHT library handles it. */
  onQuery?: (query: string, args: BDict) => void
  /** Told of the node id of every query and reply that passed, and where it came from. */
  onSender?: (id: Uint8Array, from: RemoteInfo) => void
  /** Clock, ms. Default `Date.now`. */
  now?: () => number
}

type SendCallback = (error: Error | null, bytes?: number) => void

/**
 * The UDP socket the DHT library is given (`k-rpc-socket`'s `socket` option): a `node:dgram`
 * socket whose incoming packets pass {@link inspectPacket} first, and queries the
 * {@link InboundLimiter}.
 * It has the few methods and events the library uses (`bind`, `address`, `send`, `close`;
 * `message`, `listening`, `error`, `close`), a send on a closed socket reports an error to
 * its callback instead of throwing, and an exception the library throws while handling a packet
 * is caught and counted as a drop rather than ending the process.
 *
 * @example
 * ```ts
 * import { createSocket } from 'node:dgram'
 * import { GuardedSocket } from './guarded-socket.js'
 * import { InboundLimiter } from './inbound-limiter.js'
 * const socket = new GuardedSocket(createSocket('udp4'), {
 *   limiter: new InboundLimiter({ perSource: 50, queries: 500 }),
 *   onDrop: (reason) => console.log('dropped', reason)
 * })
 * socket.on('message', (packet) => console.log('a well-formed KRPC packet', packet.length))
 * socket.bind(0, '127.0.0.1')
 * ```
 */
export class GuardedSocket extends EventEmitter {
  readonly #socket: Socket
  readonly #options: GuardedSocketOptions
  readonly #now: () => number

  constructor (socket: Socket, options: GuardedSocketOptions) {
    super()
    this.#socket = socket
    this.#options = options
    this.#now = options.now ?? Date.now
    socket.on('message', (packet: Buffer, from: RemoteInfo) => { this.#receive(packet, from) })
    socket.on('listening', () => this.emit('listening'))
    socket.on('error', (error: Error) => this.emit('error', error))
    socket.on('close', () => this.emit('close'))
  }

  bind (port?: number, host?: string, callback?: () => void): void {
    this.#socket.bind(port, host, callback)
  }

  address (): AddressInfo {
    return this.#socket.address()
  }

  send (packet: Uint8Array, offset: number, length: number, port: number, host: string, callback?: SendCallback): void {
    try {
      this.#socket.send(packet, offset, length, port, host, callback)
    } catch (error) {
      // A closed or unbound socket throws synchronously; the library only expects callbacks.
      if (callback !== undefined) queueMicrotask(() => { callback(error as Error) })
    }
  }

  close (): void {
    try {
      this.#socket.close()
    } catch {
      queueMicrotask(() => this.emit('close')) // already closed
    }
  }

  #receive (packet: Buffer, from: RemoteInfo): void {
    const verdict = inspectPacket(packet)
    if (!verdict.ok) {
      this.#options.onDrop(verdict.reason)
      return
    }
    if (verdict.kind === 'query') {
      if (!this.#options.limiter.admitQuery(from.address, from.port, this.#now())) {
        this.#options.onDrop('rate')
        return
      }
      this.#options.onQuery?.(verdict.query, verdict.args)
      this.#options.onSender?.(verdict.args.get('id') as Uint8Array, from)
    } else if (verdict.kind === 'response') {
      this.#options.onSender?.(verdict.reply.get('id') as Uint8Array, from)
    }
    try {
      this.emit('message', packet, from)
    } catch (error) {
      // Last line of defence: a field combination the checks above missed must not end the
      // process from inside a UDP handler.
      this.#options.onDrop(`the DHT library failed on it (${(error as Error)?.message ?? String(error)})`)
    }
  }
}
