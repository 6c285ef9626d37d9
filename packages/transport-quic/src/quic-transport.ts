import { QUICClient } from '@matrixai/quic'
import {
  DEFAULT_MAX_FRAME_SIZE, DialError, InvalidAddressError, InvalidConfigError, ListenError, PeerIdMismatchError, PeerIdentity,
  abortError, checkMaxFrameSize, isPeerId, silentLogger, throwIfAborted, checkListenOptions, checkPositiveInteger
} from '@codio-chunk/core'
import { checkPeerCertificate, selfSignedCertificate } from './certificate.js'
import { parseQuicAddress, quicAddress } from './quic-address.js'
import { QuicConnection } from './quic-connection.js'
import { QuicListener } from './quic-listener.js'
import { DEFAULT_DATAGRAM_SIZE, clientCrypto, quicConfig, silentQuicLogger, tuneSocket } from './quic-config.js'
import type { KeyObject } from 'node:crypto'
import type { QUICConnection } from '@matrixai/quic'
import type { Connection, DialOptions, ListenOptions, Logger, Transport } from '@codio-chunk/core'
import type { TlsCredentials } from './certificate.js'
import type { PeerRefusal, QuicTuning } from './quic-config.js'

/** Options of {@link quicTransport}. */
export interface QuicTransportInit {
  /**
   * The node identity (an Ed25519 key pair) the TLS certificate is made from; its peer id is what
   * peers authenticate. Pass the node's `PeerIdentity` (the same one given to the engine) or an
   * Ed25519 private `KeyObject`. Default: a new random identity.
   */
  privateKey?: PeerIdentity | KeyObject
  /** Largest frame (type byte + payload) a connection accepts. Default `DEFAULT_MAX_FRAME_SIZE`. */
  maxFrameSize?: number
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
  /** Where to log (namespace `codio-chunk:transport-quic`). Silent by default. */
  logger?: Logger
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
 * import { PeerIdentity } from '@codio-chunk/core'
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
export function quicTransport (init: QuicTransportInit = {}): QuicTransport {
  return new QuicTransportImpl(init)
}

class QuicTransportImpl implements QuicTransport {
  readonly name = 'quic'
  readonly protocols = ['quic'] as const
  readonly peerId: string
  private readonly credentials: TlsCredentials
  private readonly tuning: QuicTuning
  private readonly maxFrameSize: number
  private readonly highWaterMark: number
  private readonly closeTimeout: number
  private readonly handshakeTimeout: number
  private readonly maxPendingHandshakes: number
  private readonly maxConnections: number
  private readonly log: Logger

  constructor (init: QuicTransportInit) {
    this.credentials = selfSignedCertificate(init.privateKey ?? PeerIdentity.generate())
    this.peerId = this.credentials.peerId
    this.maxFrameSize = checkMaxFrameSize(init.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE)
    this.highWaterMark = checkPositiveInteger(init.highWaterMark ?? DEFAULT_QUIC_HIGH_WATER_MARK, 'highWaterMark')
    this.closeTimeout = checkPositiveInteger(init.closeTimeout ?? 2000, 'closeTimeout')
    this.handshakeTimeout = checkPositiveInteger(init.handshakeTimeout ?? 5000, 'handshakeTimeout')
    this.maxPendingHandshakes = checkPositiveInteger(init.maxPendingHandshakes ?? 64, 'maxPendingHandshakes')
    this.maxConnections = checkPositiveInteger(init.maxConnections ?? 1024, 'maxConnections')
    const datagramSize = checkPositiveInteger(init.datagramSize ?? DEFAULT_DATAGRAM_SIZE, 'datagramSize')
    if (datagramSize < 1200 || datagramSize > 65527) throw new InvalidConfigError(`datagramSize must be in 1200..65527 (QUIC needs at least 1200), got ${datagramSize}`)
    this.tuning = {
      datagramSize,
      idleTimeout: checkPositiveInteger(init.idleTimeout ?? 15_000, 'idleTimeout'),
      streamWindow: checkPositiveInteger(init.streamWindow ?? 2 * 1024 * 1024, 'streamWindow'),
      connectionWindow: checkPositiveInteger(init.connectionWindow ?? 16 * 1024 * 1024, 'connectionWindow'),
      maxStreams: 256
    }
    this.log = init.logger ?? silentLogger
  }

  async listen (address: string, options: ListenOptions): Promise<QuicListener> {
    const { host, port, peerId } = parseQuicAddress(address)
    const { signal, onConnection } = options
    const maxFrameSize = checkListenOptions(address, options, this.maxFrameSize, { peerId: this.peerId, addressPeerId: peerId })
    const listener = new QuicListener({
      config: quicConfig(this.credentials, this.tuning),
      handshakeTimeout: this.handshakeTimeout,
      maxPendingHandshakes: this.maxPendingHandshakes,
      maxConnections: this.maxConnections,
      peerId: this.peerId,
      logger: this.log,
      onConnection,
      wrap: (quic, direction, destroy) => this.wrap(quic, direction, maxFrameSize, destroy, quicAddress(quic.remoteHost, quic.remotePort))
    })
    try {
      await listener.start(host, port)
    } catch (err) {
      throw listenError(address, err)
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
    const { host, port, peerId: named } = parseQuicAddress(address)
    const expected = expectedPeerId(address, named, options.peerId)
    const { signal } = options
    const maxFrameSize = options.maxFrameSize === undefined ? this.maxFrameSize : checkMaxFrameSize(options.maxFrameSize)
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
      return this.wrap(client.connection, 'outbound', maxFrameSize, destroy, quicAddress(host, port, expected))
    } catch (err) {
      await destroy(1, 'dial failed')
      if (err instanceof Error && err.name === 'AbortError') throw err
      throw new DialError(`Could not set up the connection to ${address}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
    }
  }

  private wrap (quic: QUICConnection, direction: 'inbound' | 'outbound', maxFrameSize: number, destroy: (code: number, reason: string) => Promise<void>, remoteAddress: string): QuicConnection {
    const check = checkPeerCertificate(quic.getRemoteCertsChain()[0])
    if (!check.ok) throw new DialError(`The peer at ${remoteAddress} cannot be authenticated: ${check.reason}`)
    return new QuicConnection(quic, {
      direction,
      remoteAddress,
      localAddress: quicAddress(quic.localHost, quic.localPort),
      remotePeerId: check.peerId,
      maxFrameSize,
      highWaterMark: this.highWaterMark,
      closeTimeout: this.closeTimeout,
      logger: this.log,
      destroy
    })
  }
}

/** The peer id a dial expects: from the address, the options, or both when they agree. */
function expectedPeerId (address: string, named: string | undefined, given: string | undefined): string | undefined {
  if (given === undefined) return named
  if (!isPeerId(given)) throw new InvalidAddressError(`dial(${address}, { peerId: "${given}" }): that is not a peer id (expected a libp2p Ed25519 PeerId such as 12D3KooW…)`)
  if (named !== undefined && named !== given) throw new InvalidAddressError(`dial(${address}, { peerId }): the address names peer id ${named} but the options name ${given}; give one of them`)
  return given
}

function listenError (address: string, err: unknown): ListenError {
  let cause: unknown = err
  while (cause instanceof Error && (cause as NodeJS.ErrnoException).code === undefined && cause.cause !== undefined) cause = cause.cause
  switch ((cause as NodeJS.ErrnoException)?.code) {
    case 'EADDRINUSE':
      return new ListenError(`Cannot listen on ${address}: the UDP port is already in use. Stop the other process or choose another port (port 0 picks a free one)`, { cause: err })
    case 'EADDRNOTAVAIL':
      return new ListenError(`Cannot listen on ${address}: the host is not an address of this machine. Use one of its addresses, or 0.0.0.0 / [::] for all`, { cause: err })
    case 'EACCES':
      return new ListenError(`Cannot listen on ${address}: permission denied. Ports below 1024 need privileges; choose a higher port`, { cause: err })
    default:
      return new ListenError(`Cannot listen on ${address}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }
}

