import { DialError, InvalidConfigError, PeerIdMismatchError, abortError, throwIfAborted } from '@codio-chunk/interface'
import { checkListenOptions, checkPositiveInteger, expectedPeerId, listenError, raceAbort } from '@codio-chunk/protocol'
import { libp2pKey } from './identity-key.js'
import { loadNativeBinding } from './native.js'
import { fromMultiaddr, parseQuinnAddress, quinnAddress } from './quinn-address.js'
import { QuinnConnection } from './quinn-connection.js'
import { QuinnListener } from './quinn-listener.js'
import { ACCEPTED, StreamKind } from './stream-kind.js'
import { StreamWriter } from './stream-writer.js'
import type { BufferPool, Connection, DialOptions, ListenOptions, Logger, Transport, TransportComponents } from '@codio-chunk/interface'
import type { NativeBinding, NativeClient, NativeConnection, NativeQuinnConfig, NativeStream } from './native.js'

/** Options of {@link quinnTransport}. */
export interface QuinnTransportInit {
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
 * `quinnTransport(init)` returns the factory a node takes (`transports: [quinnTransport()]`): the
 * TLS key is the node's own identity, given with its components, so the peer id the transport
 * proves is always the node's. The logger namespace is `codio-chunk:transport-quinn`.
 *
 * @example
 * ```ts
 * import { createComponents } from '@codio-chunk/protocol'
 * import { quinnTransport } from '@codio-chunk/transport-quinn'
 * const quinn = quinnTransport()(createComponents())
 * const listener = await quinn.listen('quinn://127.0.0.1:0', {
 *   onConnection: (conn) => conn.start({ onMessage: (m) => conn.send(m), onClose: () => {} })
 * })
 * // The listener's address names its peer id: quinn://127.0.0.1:<port>/p2p/12D3KooW…
 * const conn = await quinnTransport()(createComponents()).dial(listener.addresses[0], { signal: AbortSignal.timeout(5000) })
 * conn.start({ onMessage: (m) => { console.log(m.type); conn.close() }, onClose: () => { void listener.close() } })
 * conn.send({ type: 'choke' })
 * ```
 */
export function quinnTransport (init: QuinnTransportInit = {}): (components: TransportComponents) => QuinnTransport {
  const settings = quinnSettings(init)
  return (components) => new QuinnTransportImpl(settings, components)
}

/** The options of {@link quinnTransport}, checked, with defaults filled in. */
interface QuinnSettings {
  highWaterMark: number
  closeTimeout: number
  handshakeTimeout: number
  maxPendingHandshakes: number
  maxConnections: number
  idleTimeout: number
  maxStreams: number
  streamWindow: number
  connectionWindow: number
  socketBuffer: number
}

function quinnSettings (init: QuinnTransportInit): QuinnSettings {
  return {
    highWaterMark: checkPositiveInteger(init.highWaterMark ?? DEFAULT_QUINN_HIGH_WATER_MARK, 'highWaterMark'),
    closeTimeout: checkPositiveInteger(init.closeTimeout ?? 2000, 'closeTimeout'),
    handshakeTimeout: checkPositiveInteger(init.handshakeTimeout ?? 5000, 'handshakeTimeout'),
    maxPendingHandshakes: checkPositiveInteger(init.maxPendingHandshakes ?? 16, 'maxPendingHandshakes'),
    maxConnections: checkPositiveInteger(init.maxConnections ?? 1024, 'maxConnections'),
    idleTimeout: checkPositiveInteger(init.idleTimeout ?? 15_000, 'idleTimeout'),
    maxStreams: u32(init.maxStreams ?? 256, 'maxStreams'),
    streamWindow: u32(init.streamWindow ?? 8 * 1024 * 1024, 'streamWindow'),
    connectionWindow: u32(init.connectionWindow ?? 32 * 1024 * 1024, 'connectionWindow'),
    socketBuffer: u32(init.socketBuffer ?? 4 * 1024 * 1024, 'socketBuffer')
  }
}

class QuinnTransportImpl implements QuinnTransport {
  readonly name = 'quinn'
  readonly protocols = ['quinn'] as const
  readonly peerId: string
  private readonly native: NativeBinding
  private readonly config: NativeQuinnConfig
  private readonly maxFrameSize: number
  private readonly buffers: BufferPool
  private readonly highWaterMark: number
  private readonly closeTimeout: number
  private readonly handshakeTimeout: number
  private readonly maxPendingHandshakes: number
  private readonly maxConnections: number
  private readonly log: Logger

  constructor (settings: QuinnSettings, components: TransportComponents) {
    const key = libp2pKey(components.identity)
    this.peerId = key.peerId
    this.maxFrameSize = components.maxFrameSize
    this.buffers = components.buffers
    this.log = components.logger('codio-chunk:transport-quinn')
    this.highWaterMark = settings.highWaterMark
    this.closeTimeout = settings.closeTimeout
    this.handshakeTimeout = settings.handshakeTimeout
    this.maxPendingHandshakes = settings.maxPendingHandshakes
    this.maxConnections = settings.maxConnections
    this.native = loadNativeBinding()
    this.config = new this.native.QuinnConfig({
      privateKeyProto: key.privateKeyProto,
      handshakeTimeout: settings.handshakeTimeout,
      shutdownTimeout: settings.closeTimeout,
      maxIdleTimeout: settings.idleTimeout,
      keepAliveInterval: Math.max(1, Math.floor(settings.idleTimeout / 3)),
      maxConcurrentStreamLimit: settings.maxStreams,
      maxStreamData: settings.streamWindow,
      maxConnectionData: settings.connectionWindow,
      receiveBufferSize: settings.socketBuffer,
      sendBufferSize: settings.socketBuffer
    })
  }

  async listen (address: string, options: ListenOptions): Promise<QuinnListener> {
    const { host, port, peerId } = parseQuinnAddress(address)
    const { signal, onConnection } = options
    checkListenOptions(address, options, { peerId: this.peerId, addressPeerId: peerId })
    let server
    try {
      server = new this.native.Server(this.config, host, port)
    } catch (err) {
      throw listenError(address, err, 'UDP port')
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
        direction: 'inbound', remoteAddress: remote.address, remotePeerId: remote.peerId, localAddress, onGone
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
      native = await raceAbort(client.outboundConnection(host, port), combined, `dial to ${address}`)
      const remote = fromMultiaddr(native.remoteMultiaddr())
      if (remote === undefined) throw new DialError(`The peer at ${address} gave no peer id`)
      if (expected !== undefined && remote.peerId !== expected) {
        throw new PeerIdMismatchError(`The peer at ${address} is ${remote.peerId}, not the expected ${expected}: its TLS certificate proves another identity. A different node listens there, or the connection is intercepted; check the address`)
      }
      const control = await raceAbort(native.outboundStream(), combined, `dial to ${address}`)
      const writer = new StreamWriter(control)
      writer.write(Uint8Array.of(StreamKind.control))
      const answer = await raceAbort(control.read(1), combined, `dial to ${address}`)
      if (answer === null || answer[0] !== ACCEPTED) throw new DialError(`The peer at ${address} did not take the connection (its listener is closed, or it is not a codio-chunk node)`)
      const connection = native
      return this.wrap(connection, control, writer, {
        direction: 'outbound',
        remoteAddress: quinnAddress(host, port, expected),
        remotePeerId: remote.peerId,
        localAddress: family === 4 ? 'quinn://0.0.0.0:0' : 'quinn://[::]:0',
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

  private wrap (native: NativeConnection, control: NativeStream, writer: StreamWriter, at: { direction: 'inbound' | 'outbound', remoteAddress: string, localAddress: string, remotePeerId: string, onGone: () => void }): QuinnConnection {
    return new QuinnConnection(native, control, writer, {
      ...at,
      maxFrameSize: this.maxFrameSize,
      buffers: this.buffers,
      highWaterMark: this.highWaterMark,
      closeTimeout: this.closeTimeout,
      logger: this.log
    })
  }
}

function u32 (value: number, name: string): number {
  if (checkPositiveInteger(value, name) > 0xffffffff) throw new InvalidConfigError(`${name} must be at most 4294967295, got ${value}`)
  return value
}
