import { QUICClient } from '@matrixai/quic'
import { DialError, InvalidConfigError, PeerIdMismatchError, abortError, throwIfAborted } from '@codio-chunk/interface'
import { checkListenOptions, checkPositiveInteger, expectedPeerId, listenError, parseTransportAddress } from '@codio-chunk/protocol'
import { checkPeerCertificate, selfSignedCertificate } from './certificate.js'
import { quicAddress } from './quic-address.js'
import { QuicConnection } from './quic-connection.js'
import { QuicListener } from './quic-listener.js'
import { DEFAULT_DATAGRAM_SIZE, clientCrypto, quicConfig, silentQuicLogger, tuneSocket } from './quic-config.js'
import type { QUICConnection } from '@matrixai/quic'
import type { BufferPool, Connection, DialOptions, ListenOptions, Logger, Transport, TransportComponents } from '@codio-chunk/interface'
import type { TlsCredentials } from './certificate.js'
import type { PeerRefusal, QuicTuning } from './quic-config.js'

/** Options of {@link quicTransport}. */
export interface QuicTransportInit {
  /** Bytes a connection may queue for sending before `drain()` waits. Default 1 MiB. */
  highWaterMark?: number
  /** Milliseconds a closing connection waits for the peer before it is torn down. Default 2000. */
  closeTimeout?: number
  /** Milliseconds a QUIC handshake (dialling or accepting) may take. Default 5000. */
  handshakeTimeout?: number
  /**
   * Milliseconds without a packet from the peer after which a connection is closed as dead.
   * Keep-alives are sent every third of it. Default 15000.
   */
  idleTimeout?: number
  /** UDP payload size of the packets sent, 1200..65527. Default 1350. */
  datagramSize?: number
  /** Flow-control window of one stream, in bytes. Default 2 MiB. */
  streamWindow?: number
  /** Flow-control window of a whole connection, in bytes. Default 16 MiB. */
  connectionWindow?: number
  /** Handshakes a listener runs at once; more wait (their Initial packets are dropped). Default 64. */
  maxPendingHandshakes?: number
  /** Connections a listener keeps open at once. Default 1024. */
  maxConnections?: number
}

/** A {@link Transport} over QUIC that also tells the peer id its certificate proves. */
export interface QuicTransport extends Transport {
  /** This node's peer id, as its TLS certificate proves it. */
  readonly peerId: string
  /** Starts listening; the listener also counts its handshakes and connections. */
  listen(address: string, options: ListenOptions): Promise<QuicListener>
}

/** Default write high-water mark of a connection: 1 MiB. */
export const DEFAULT_QUIC_HIGH_WATER_MARK = 1024 * 1024

/**
 * The QUIC transport: codio-chunk frames over QUIC (`@matrixai/quic`, Cloudflare's quiche), for
 * `quic://host:port` addresses. Every connection is TLS 1.3 with mutual authentication: each side
 * presents a self-signed certificate of its Ed25519 node key, and the peer id that key gives
 * becomes the connection's `remotePeerId`. Dialling `quic://host:port/p2p/<peer id>` (or passing
 * `peerId`) refuses any other peer with `PeerIdMismatchError`.
 *
 * @example
 * ```ts
 * import { PeerIdentity } from '@codio-chunk/protocol'
 * import { quicTransport } from '@codio-chunk/transport-quic'
 * const quic = quicTransport({ privateKey: PeerIdentity.generate() })
 * const listener = await quic.listen('quic://127.0.0.1:0', {
 *   onConnection: (conn) => conn.start({ onMessage: (m) => conn.send(m), onClose: () => {} })
 * })
 * // The listener's address names its peer id: quic://127.0.0.1:<port>/p2p/12D3KooW…
 * const conn = await quicTransport().dial(listener.addresses[0], { signal: AbortSignal.timeout(5000) })
 * conn.start({ onMessage: (m) => { console.log(m.type); conn.close() }, onClose: () => { void listener.close() } })
 * conn.send({ type: 'choke' })
 * ```
 */
export function quicTransport (init: QuicTransportInit = {}): (components: TransportComponents) => QuicTransport {
  const settings = quicSettings(init)
  return (components) => new QuicTransportImpl(settings, components)
}

/** The options of {@link quicTransport}, checked, with defaults filled in. */
interface QuicSettings {
  tuning: QuicTuning
  highWaterMark: number
  closeTimeout: number
  handshakeTimeout: number
  maxPendingHandshakes: number
  maxConnections: number
}

function quicSettings (init: QuicTransportInit): QuicSettings {
  const datagramSize = checkPositiveInteger(init.datagramSize ?? DEFAULT_DATAGRAM_SIZE, 'datagramSize')
  if (datagramSize < 1200 || datagramSize > 65527) throw new InvalidConfigError(`datagramSize must be in 1200..65527 (QUIC needs at least 1200), got ${datagramSize}`)
  return {
    highWaterMark: checkPositiveInteger(init.highWaterMark ?? DEFAULT_QUIC_HIGH_WATER_MARK, 'highWaterMark'),
    closeTimeout: checkPositiveInteger(init.closeTimeout ?? 2000, 'closeTimeout'),
    handshakeTimeout: checkPositiveInteger(init.handshakeTimeout ?? 5000, 'handshakeTimeout'),
    maxPendingHandshakes: checkPositiveInteger(init.maxPendingHandshakes ?? 64, 'maxPendingHandshakes'),
    maxConnections: checkPositiveInteger(init.maxConnections ?? 1024, 'maxConnections'),
    tuning: {
      datagramSize,
      idleTimeout: checkPositiveInteger(init.idleTimeout ?? 15_000, 'idleTimeout'),
      streamWindow: checkPositiveInteger(init.streamWindow ?? 2 * 1024 * 1024, 'streamWindow'),
      connectionWindow: checkPositiveInteger(init.connectionWindow ?? 16 * 1024 * 1024, 'connectionWindow'),
      maxStreams: 256
    }
  }
}

class QuicTransportImpl implements QuicTransport {
  readonly name = 'quic'
  readonly protocols = ['quic'] as const
  readonly peerId: string
  private readonly credentials: TlsCredentials
  private readonly tuning: QuicTuning
  private readonly maxFrameSize: number
  private readonly buffers: BufferPool
  private readonly highWaterMark: number
  private readonly closeTimeout: number
  private readonly handshakeTimeout: number
  private readonly maxPendingHandshakes: number
  private readonly maxConnections: number
  private readonly log: Logger

  constructor (settings: QuicSettings, components: TransportComponents) {
    this.credentials = selfSignedCertificate(components.identity)
    this.peerId = this.credentials.peerId
    this.maxFrameSize = components.maxFrameSize
    this.buffers = components.buffers
    this.log = components.logger('codio-chunk:transport-quic')
    this.tuning = settings.tuning
    this.highWaterMark = settings.highWaterMark
    this.closeTimeout = settings.closeTimeout
    this.handshakeTimeout = settings.handshakeTimeout
    this.maxPendingHandshakes = settings.maxPendingHandshakes
    this.maxConnections = settings.maxConnections
  }

  async listen (address: string, options: ListenOptions): Promise<QuicListener> {
    const { host, port, peerId } = parseTransportAddress(address, 'quic', 'QUIC')
    const { signal, onConnection } = options
    checkListenOptions(address, options, { peerId: this.peerId, addressPeerId: peerId })
    const listener = new QuicListener({
      config: quicConfig(this.credentials, this.tuning),
      handshakeTimeout: this.handshakeTimeout,
      maxPendingHandshakes: this.maxPendingHandshakes,
      maxConnections: this.maxConnections,
      peerId: this.peerId,
      logger: this.log,
      onConnection,
      wrap: (quic, direction, destroy) => this.wrap(quic, direction, destroy, quicAddress(quic.remoteHost, quic.remotePort))
    })
    try {
      await listener.start(host, port)
    } catch (err) {
      throw listenError(address, err, 'UDP port')
    }
    if (signal?.aborted === true) {
      await listener.close()
      throw abortError(signal, `listen on ${address}`)
    }
    signal?.addEventListener('abort', () => { void listener.close() }, { once: true })
    this.log('listening on %s', listener.addresses[0])
    return listener
  }

  async dial (address: string, options: DialOptions = {}): Promise<Connection> {
    const { host, port, peerId: named } = parseTransportAddress(address, 'quic', 'QUIC')
    const expected = expectedPeerId(address, named, options.peerId)
    const { signal } = options
    throwIfAborted(signal, `dial to ${address}`)
    let refusal: PeerRefusal | undefined
    const config = quicConfig(this.credentials, this.tuning, { expectedPeerId: expected, onRefused: (r) => { refusal = r } })
    const handshake = new AbortController()
    const timer = setTimeout(() => handshake.abort(new Error('handshake timeout')), this.handshakeTimeout)
    const combined = signal === undefined ? handshake.signal : AbortSignal.any([signal, handshake.signal])
    let client: QUICClient
    try {
      client = await QUICClient.createQUICClient({
        host,
        port,
        localHost: host.includes(':') ? '::' : '0.0.0.0',
        crypto: clientCrypto,
        config,
        logger: silentQuicLogger()
      }, { signal: combined })
    } catch (err) {
      if (signal?.aborted === true) throw abortError(signal, `dial to ${address}`)
      if (refusal?.peerId !== undefined) {
        throw new PeerIdMismatchError(`The peer at ${address} is ${refusal.peerId}, not the expected ${expected ?? '?'}: its TLS certificate proves another identity. A different node listens there, or the connection is intercepted; check the address`, { cause: err })
      }
      if (refusal !== undefined) throw new DialError(`Refused the peer at ${address}: ${refusal.reason}. It is not a codio-chunk node, or a misconfigured one`, { cause: err })
      if (handshake.signal.aborted) throw new DialError(`No QUIC handshake with ${address} within ${this.handshakeTimeout} ms. Check that a codio-chunk node listens there (UDP) and is reachable`, { cause: err })
      throw new DialError(`Could not connect to ${address}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
    } finally {
      clearTimeout(timer)
    }
    tuneSocket((client as unknown as { socket: unknown }).socket)
    const destroy = async (code: number, reason: string): Promise<void> => {
      try {
        await client.destroy({ isApp: true, errorCode: code, reason: Buffer.from(reason.slice(0, 200)), force: true })
      } catch (err) {
        this.log('closing the QUIC connection to %s failed: %s', address, (err as Error)?.message)
      }
    }
    try {
      if (signal?.aborted === true) throw abortError(signal, `dial to ${address}`)
      return this.wrap(client.connection, 'outbound', destroy, quicAddress(host, port, expected))
    } catch (err) {
      await destroy(1, 'dial failed')
      if (err instanceof Error && err.name === 'AbortError') throw err
      throw new DialError(`Could not set up the connection to ${address}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
    }
  }

  private wrap (quic: QUICConnection, direction: 'inbound' | 'outbound', destroy: (code: number, reason: string) => Promise<void>, remoteAddress: string): QuicConnection {
    const check = checkPeerCertificate(quic.getRemoteCertsChain()[0])
    if (!check.ok) throw new DialError(`The peer at ${remoteAddress} cannot be authenticated: ${check.reason}`)
    return new QuicConnection(quic, {
      direction,
      remoteAddress,
      localAddress: quicAddress(quic.localHost, quic.localPort),
      remotePeerId: check.peerId,
      maxFrameSize: this.maxFrameSize,
      buffers: this.buffers,
      highWaterMark: this.highWaterMark,
      closeTimeout: this.closeTimeout,
      logger: this.log,
      destroy
    })
  }
}
