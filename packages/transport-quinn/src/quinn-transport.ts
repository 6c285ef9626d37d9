import {
  AbortError, DEFAULT_MAX_FRAME_SIZE, DialError, InvalidConfigError, ListenError, PeerIdMismatchError, PeerIdentity,
  abortError, checkMaxFrameSize, silentLogger, throwIfAborted, checkListenOptions, checkPositiveInteger
} from '@codio-chunk/core'
import { libp2pKey } from './identity-key.js'
import { loadNativeBinding } from './native.js'
import { expectedPeerId, fromMultiaddr, parseQuinnAddress, quinnAddress } from './quinn-address.js'
import { QuinnConnection } from './quinn-connection.js'
import { QuinnListener } from './quinn-listener.js'
import { ACCEPTED, StreamKind } from './stream-kind.js'
import { StreamWriter } from './stream-writer.js'
import type { KeyObject } from 'node:crypto'
import type { Connection, DialOptions, ListenOptions, Logger, Transport } from '@codio-chunk/core'
import type { NativeBinding, NativeClient, NativeConnection, NativeQuinnConfig, NativeStream } from './native.js'

/** Options of {@link quinnTransport}. */
export interface QuinnTransportInit {
  /**
   * The node identity (an Ed25519 key pair): libp2p TLS proves its peer id to every peer. Pass
   * the node's `PeerIdentity` (the one given to the engine) or an Ed25519 private `KeyObject`.
   * Default: a new random identity.
   */
  privateKey?: PeerIdentity | KeyObject
  /** Largest frame (type byte + payload) a connection accepts. Default `DEFAULT_MAX_FRAME_SIZE`. */
  maxFrameSize?: number
  /** Bytes a connection may queue for sending before `drain()` waits. Default 1 MiB. */
  highWaterMark?: number
  /** Milliseconds a closing connection waits for the peer before it is torn down. Default 2000. */
  closeTimeout?: number
  /** Milliseconds a dial (handshake and control stream) may take. Default 5000. */
  handshakeTimeout?: number
  /** Milliseconds without a packet after which a connection is dead; keep-alives every third. Default 15000. */
  idleTimeout?: number
  /** Flow-control window of one stream, in bytes. Default 8 MiB. */
  streamWindow?: number
  /** Flow-control window of a connection, in bytes. Default 32 MiB. */
  connectionWindow?: number
  /** Streams the peer may have open at once (its answers in flight). Default 256. */
  maxStreams?: number
  /** UDP socket buffer sizes (clamped by the OS), in bytes. Default 4 MiB. */
  socketBuffer?: number
  /** Handshakes a listener runs at once. Default 16. */
  maxPendingHandshakes?: number
  /** Connections a listener keeps open at once. Default 1024. */
  maxConnections?: number
  /** Where to log (namespace `codio-chunk:transport-quinn`). Silent by default. */
  logger?: Logger
}

/** A {@link Transport} over quinn that also tells the peer id libp2p TLS proves for it. */
export interface QuinnTransport extends Transport {
  /** This node's peer id, as its libp2p TLS certificate proves it. */
  readonly peerId: string
  /** Starts listening; the listener also counts its connections. */
  listen(address: string, options: ListenOptions): Promise<QuinnListener>
}

/** Default write high-water mark of a connection: 1 MiB. */
export const DEFAULT_QUINN_HIGH_WATER_MARK = 1024 * 1024

/**
 * The quinn transport: codio-chunk frames over QUIC run by Rust's quinn in native threads (the
 * prebuilt binding of `@chainsafe/libp2p-quic`), for `quinn://host:port` addresses. Every
 * connection is TLS 1.3 with libp2p's certificate scheme: each side proves its Ed25519 node key,
 * whose peer id becomes the connection's `remotePeerId` (the same id the other transports use).
 * Dialling `quinn://host:port/p2p/<peer id>` (or passing `peerId`) refuses any other peer with
 * `PeerIdMismatchError`. Each answer to a chunk request travels on a stream of its own.
 *
 * @example
 * ```ts
 * import { PeerIdentity } from '@codio-chunk/core'
 * import { quinnTransport } from '@codio-chunk/transport-quinn'
 * const quinn = quinnTransport({ privateKey: PeerIdentity.generate() })
 * const listener = await quinn.listen('quinn://127.0.0.1:0', {
 *   onConnection: (conn) => conn.start({ onMessage: (m) => conn.send(m), onClose: () => {} })
 * })
 * // The listener's address names its peer id: quinn://127.0.0.1:<port>/p2p/12D3KooW…
 * const conn = await quinnTransport().dial(listener.addresses[0], { signal: AbortSignal.timeout(5000) })
 * conn.start({ onMessage: (m) => { console.log(m.type); conn.close() }, onClose: () => { void listener.close() } })
 * conn.send({ type: 'choke' })
 * ```
 */
export function quinnTransport (init: QuinnTransportInit = {}): QuinnTransport {
  return new QuinnTransportImpl(init)
}

class QuinnTransportImpl implements QuinnTransport {
  readonly name = 'quinn'
  readonly protocols = ['quinn'] as const
  readonly peerId: string
  private readonly native: NativeBinding
  private readonly config: NativeQuinnConfig
  private readonly maxFrameSize: number
  private readonly highWaterMark: number
  private readonly closeTimeout: number
  private readonly handshakeTimeout: number
  private readonly maxPendingHandshakes: number
  private readonly maxConnections: number
  private readonly log: Logger

  constructor (init: QuinnTransportInit) {
    const key = libp2pKey(init.privateKey ?? PeerIdentity.generate())
    this.peerId = key.peerId
    this.maxFrameSize = checkMaxFrameSize(init.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE)
    this.highWaterMark = checkPositiveInteger(init.highWaterMark ?? DEFAULT_QUINN_HIGH_WATER_MARK, 'highWaterMark')
    this.closeTimeout = checkPositiveInteger(init.closeTimeout ?? 2000, 'closeTimeout')
    this.handshakeTimeout = checkPositiveInteger(init.handshakeTimeout ?? 5000, 'handshakeTimeout')
    this.maxPendingHandshakes = checkPositiveInteger(init.maxPendingHandshakes ?? 16, 'maxPendingHandshakes')
    this.maxConnections = checkPositiveInteger(init.maxConnections ?? 1024, 'maxConnections')
    const idleTimeout = checkPositiveInteger(init.idleTimeout ?? 15_000, 'idleTimeout')
    const socketBuffer = u32(init.socketBuffer ?? 4 * 1024 * 1024, 'socketBuffer')
    this.log = init.logger ?? silentLogger
    this.native = loadNativeBinding()
    this.config = new this.native.QuinnConfig({
      privateKeyProto: key.privateKeyProto,
      handshakeTimeout: this.handshakeTimeout,
      shutdownTimeout: this.closeTimeout,
      maxIdleTimeout: idleTimeout,
      keepAliveInterval: Math.max(1, Math.floor(idleTimeout / 3)),
      maxConcurrentStreamLimit: u32(init.maxStreams ?? 256, 'maxStreams'),
      maxStreamData: u32(init.streamWindow ?? 8 * 1024 * 1024, 'streamWindow'),
      maxConnectionData: u32(init.connectionWindow ?? 32 * 1024 * 1024, 'connectionWindow'),
      receiveBufferSize: socketBuffer,
      sendBufferSize: socketBuffer
    })
  }

  async listen (address: string, options: ListenOptions): Promise<QuinnListener> {
    const { host, port, peerId } = parseQuinnAddress(address)
    const { signal, onConnection } = options
    const maxFrameSize = checkListenOptions(address, options, this.maxFrameSize, { peerId: this.peerId, addressPeerId: peerId })
    let server
    try {
      server = new this.native.Server(this.config, host, port)
    } catch (err) {
      throw listenError(address, err)
    }
    const localAddress = quinnAddress(host, server.port())
    const listener: QuinnListener = new QuinnListener({
      server,
      host,
      peerId: this.peerId,
      handshakeTimeout: this.handshakeTimeout,
      maxPendingHandshakes: this.maxPendingHandshakes,
      maxConnections: this.maxConnections,
      logger: this.log,
      onConnection,
      wrap: (native, control, writer, remote, onGone) => this.wrap(native, control, writer, {
        direction: 'inbound', remoteAddress: remote.address, remotePeerId: remote.peerId, localAddress, maxFrameSize, onGone
      })
    })
    signal?.addEventListener('abort', () => { void listener.close() }, { once: true })
    this.log('listening on %s', listener.addresses[0])
    return listener
  }

  async dial (address: string, options: DialOptions = {}): Promise<Connection> {
    const { host, port, family, peerId: named } = parseQuinnAddress(address)
    const expected = expectedPeerId(address, named, options.peerId)
    const { signal } = options
    const maxFrameSize = options.maxFrameSize === undefined ? this.maxFrameSize : checkMaxFrameSize(options.maxFrameSize)
    throwIfAborted(signal, `dial to ${address}`)
    // One client endpoint (one UDP socket) per outbound connection, closed with it.
    let client: NativeClient
    try {
      client = new this.native.Client(this.config, family === 4 ? 0 : 1)
    } catch (err) {
      throw new DialError(`Could not open a UDP socket to dial ${address}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
    }
    let native: NativeConnection | undefined
    const timeout = AbortSignal.timeout(this.handshakeTimeout)
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout])
    try {
      native = await race(client.outboundConnection(host, port), combined)
      const remote = fromMultiaddr(native.remoteMultiaddr())
      if (remote === undefined) throw new DialError(`The peer at ${address} gave no peer id`)
      if (expected !== undefined && remote.peerId !== expected) {
        throw new PeerIdMismatchError(`The peer at ${address} is ${remote.peerId}, not the expected ${expected}: its TLS certificate proves another identity. A different node listens there, or the connection is intercepted; check the address`)
      }
      const control = await race(native.outboundStream(), combined)
      const writer = new StreamWriter(control)
      writer.write(Uint8Array.of(StreamKind.control))
      const answer = await race(control.read(1), combined)
      if (answer === null || answer[0] !== ACCEPTED) throw new DialError(`The peer at ${address} did not take the connection (its listener is closed, or it is not a codio-chunk node)`)
      const connection = native
      return this.wrap(connection, control, writer, {
        direction: 'outbound',
        remoteAddress: quinnAddress(host, port, expected),
        remotePeerId: remote.peerId,
        localAddress: family === 4 ? 'quinn://0.0.0.0:0' : 'quinn://[::]:0',
        maxFrameSize,
        onGone: () => { client.abort() }
      })
    } catch (err) {
      native?.abort()
      client.abort()
      if (signal?.aborted === true) throw abortError(signal, `dial to ${address}`)
      if (err instanceof DialError) throw err
      if (timeout.aborted) throw new DialError(`No QUIC handshake with ${address} within ${this.handshakeTimeout} ms. Check that a codio-chunk node listens there (UDP) and is reachable`, { cause: err })
      throw new DialError(`Could not connect to ${address}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
    }
  }

  private wrap (native: NativeConnection, control: NativeStream, writer: StreamWriter, at: { direction: 'inbound' | 'outbound', remoteAddress: string, localAddress: string, remotePeerId: string, maxFrameSize: number, onGone: () => void }): QuinnConnection {
    return new QuinnConnection(native, control, writer, {
      ...at,
      highWaterMark: this.highWaterMark,
      closeTimeout: this.closeTimeout,
      logger: this.log
    })
  }
}

/** Settles as `promise` does, or rejects with an `AbortError` when `signal` fires first. */
async function race<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw new AbortError('aborted', { cause: signal.reason })
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new AbortError('aborted', { cause: signal.reason }))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort as () => void)
  }
}

function listenError (address: string, err: unknown): ListenError {
  const message = (err as Error)?.message ?? String(err)
  if (/in use|os error 98/i.test(message)) return new ListenError(`Cannot listen on ${address}: the UDP port is already in use. Stop the other process or choose another port (port 0 picks a free one)`, { cause: err })
  if (/not available|os error 99/i.test(message)) return new ListenError(`Cannot listen on ${address}: the host is not an address of this machine. Use one of its addresses, or 0.0.0.0 / [::] for all`, { cause: err })
  if (/permission|os error 13/i.test(message)) return new ListenError(`Cannot listen on ${address}: permission denied. Ports below 1024 need privileges; choose a higher port`, { cause: err })
  return new ListenError(`Cannot listen on ${address}: ${message}`, { cause: err })
}


function u32 (value: number, name: string): number {
  if (checkPositiveInteger(value, name) > 0xffffffff) throw new InvalidConfigError(`${name} must be at most 4294967295, got ${value}`)
  return value
}
