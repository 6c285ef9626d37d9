import type { AbortOptions } from './common.js'
import type { WireMessage } from './wire-messages.js'

/**
 * Moves protocol messages between peers. A transport handles one or more address schemes
 * (`tcp://127.0.0.1:4001`, `quic://[::1]:4002`); the engine picks the transport by scheme.
 *
 * Transports frame and deliver {@link WireMessage}s; they do not interpret them beyond what
 * their framing needs (a stream-per-request transport may look at request ids).
 *
 * @example
 * ```ts
 * import { tcpTransport } from '@codio-chunk/transport-tcp'
 * const transport = tcpTransport()
 * const listener = await transport.listen('tcp://127.0.0.1:0', {
 *   onConnection: (conn) => conn.start({ onMessage: console.log, onClose: () => {} })
 * })
 * const conn = await transport.dial(listener.addresses[0])
 * conn.start({ onMessage: () => {}, onClose: () => {} })
 * conn.send({ type: 'choke' })
 * ```
 */
export interface Transport {
  /** A short name, e.g. `tcp`. */
  readonly name: string
  /** Address schemes this transport handles, without `://`, e.g. `['tcp']`. */
  readonly protocols: readonly string[]
  /** Starts listening. The returned listener reports the actual bound addresses (port 0 resolved). */
  listen(address: string, options: ListenOptions): Promise<Listener>
  /**
   * Opens a connection to a listening peer. Rejects with `DialError`, `InvalidAddressError` or
   * `AbortError`. When a peer id is expected (`options.peerId`, or an address ending in
   * `/p2p/<peer id>`), a transport that authenticates peers rejects a peer proving another id with
   * `PeerIdMismatchError` (a `DialError`); a transport without authentication ignores it.
   */
  dial(address: string, options?: DialOptions): Promise<Connection>
}

export interface ListenOptions extends AbortOptions {
  /** Called for each inbound connection. The handler must call `start()` on it. */
  onConnection(connection: Connection): void
}

export interface DialOptions extends AbortOptions {
  /**
   * The peer id expected at the address (libp2p PeerId, `12D3KooW…`). Same effect as an address
   * ending in `/p2p/<peer id>`; giving both with different ids is an `InvalidAddressError`.
   * Transports that authenticate peers (QUIC's TLS) refuse another peer with `PeerIdMismatchError`.
   */
  peerId?: string
}

export interface Listener {
  /** The addresses peers can dial, with any port 0 replaced by the bound port. */
  readonly addresses: readonly string[]
  /** Stops accepting connections. Open connections are not closed. */
  close(): Promise<void>
}

/** Receives what arrives on a connection. */
export interface ConnectionHandler {
  /** One decoded message. Must not throw; exceptions close the connection with a protocol error. */
  onMessage(message: WireMessage): void
  /** Called exactly once when the connection is closed, with the error if it failed. */
  onClose(error?: Error): void
}

/**
 * One connection to a peer. Messages are delivered in the order they were sent, except that a
 * transport with independent streams may deliver a response (the `data` or `reject` answering a
 * request it received) out of order with respect to other messages; requests and every other
 * message keep their order.
 *
 * A `data` message is only sent in answer to a request. A transport gives no memory to a frame a
 * peer could only send to make it hold buffers (PROTOCOL.md, section 2): a `data` frame over
 * 64 KiB answering no request this side sent closes the connection with a `ProtocolError`, one
 * answering a request this side cancelled is dropped unseen, and so is any other frame over 64 KiB
 * but a bitfield (`admitLargeFrame` in @codio-chunk/protocol decides).
 */
export interface Connection {
  readonly remoteAddress: string
  readonly localAddress: string
  readonly direction: 'inbound' | 'outbound'
  /**
   * The peer id proven by the transport's own authentication (e.g. TLS), if it has any. Set before
   * the connection is handed out (by `dial` or to `onConnection`).
   */
  readonly remotePeerId?: string
  /** Bytes queued for sending but not yet handed to the operating system. */
  readonly bufferedBytes: number
  /** True once the connection is closed. */
  readonly closed: boolean
  /**
   * Begins delivering messages to `handler`. Until this is called nothing is read, so no message is
   * lost between accepting or dialling a connection and attaching its handler.
   */
  start(handler: ConnectionHandler): void
  /**
   * Queues a message for sending. Throws `ConnectionClosedError` if the connection is closed.
   *
   * `sent`, when given, is called once the transport no longer refers to the message's bytes
   * (handed to the operating system, or dropped because the connection closed), and never
   * before: the engine then reuses a `data` message's buffer for another chunk. A transport that
   * cannot tell may ignore it (the buffer is then simply not reused).
   */
  send(message: WireMessage, sent?: () => void): void
  /** Resolves when the send buffer has drained below the transport's high-water mark. */
  drain(options?: AbortOptions): Promise<void>
  /** Closes the connection. `error` is passed to the handler's `onClose` (and, where possible, the peer). */
  close(error?: Error): void
}
