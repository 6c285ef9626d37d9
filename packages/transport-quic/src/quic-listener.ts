import { QUICServer, QUICSocket, events as quicEvents } from '@matrixai/quic'
import { checkPeerCertificate } from './certificate.js'
import { quicAddress } from './quic-address.js'
import { QuicConnection } from './quic-connection.js'
import { serverCrypto, silentQuicLogger, tuneSocket } from './quic-config.js'
import type { QUICConfig, QUICConnection } from '@matrixai/quic'
import type { Connection, Listener, Logger } from '@codio-chunk/interface'

/** What a {@link QuicListener} needs from its transport. */
export interface QuicListenerOptions {
  config: Partial<QUICConfig> & { key: string, cert: string }
  /** Milliseconds a handshake may take before the half-open connection is dropped. */
  handshakeTimeout: number
  /** Handshakes in progress at once; Initial packets for more are dropped until some finish. */
  maxPendingHandshakes: number
  /** Connections open at once (handshakes included); more are dropped. */
  maxConnections: number
  /** The listener's own peer id, appended to its addresses. */
  peerId: string
  logger: Logger
  onConnection: (connection: Connection) => void
  wrap: (quic: QUICConnection, direction: 'inbound', destroy: (code: number, reason: string) => Promise<void>) => QuicConnection
}

/**
 * Accepts QUIC connections on one UDP socket. Closing it stops accepting at once; the socket stays
 * open for the connections it accepted and is closed after the last of them.
 */
export class QuicListener implements Listener {
  addresses: readonly string[] = []
  private readonly socket: QUICSocket
  private readonly server: QUICServer
  private readonly options: QuicListenerOptions
  private readonly open = new Set<QUICConnection>()
  private pendingHandshakes = 0
  private accepting = true
  private stopped = false

  constructor (options: QuicListenerOptions) {
    this.options = options
    const logger = silentQuicLogger()
    this.socket = new QUICSocket({ logger })
    this.server = new QUICServer({
      crypto: serverCrypto(),
      config: options.config,
      socket: this.socket,
      minIdleTimeout: options.handshakeTimeout,
      logger
    })
    this.server.addEventListener(quicEvents.EventQUICServerConnection.name, this.onServerConnection)
  }

  /** Binds the socket. Throws what the socket throws. */
  async start (host: string, port: number): Promise<void> {
    await this.socket.start({ host, port, ipv6Only: host.includes(':') && host !== '::' })
    tuneSocket(this.socket)
    await this.server.start()
    this.bound()
    const reported = host === '0.0.0.0' || host === '::' ? host : this.socket.host
    this.addresses = Object.freeze([quicAddress(reported, this.socket.port, this.options.peerId)])
  }

  /** Handshakes in progress (for tests and monitoring). */
  get handshaking (): number {
    return this.pendingHandshakes
  }

  /** Open connections accepted by this listener. */
  get connections (): number {
    return this.open.size
  }

  async close (): Promise<void> {
    if (!this.accepting) return
    this.accepting = false
    this.socket.unsetServer()
    await this.stopIfIdle()
  }

  /** Counts handshakes and refuses new ones past the limits, in front of the library's accept. */
  private bound (): void {
    const server = this.server as unknown as { acceptConnection: (...args: unknown[]) => Promise<unknown> }
    const accept = server.acceptConnection.bind(this.server)
    server.acceptConnection = async (...args: unknown[]) => {
      if (!this.accepting || this.pendingHandshakes >= this.options.maxPendingHandshakes || this.open.size + this.pendingHandshakes >= this.options.maxConnections) return undefined
      this.pendingHandshakes++
      try {
        return await accept(...args)
      } finally {
        this.pendingHandshakes--
        if (!this.accepting) void this.stopIfIdle()
      }
    }
  }

  private readonly onServerConnection = (evt: Event): void => {
    const quic = (evt as quicEvents.EventQUICServerConnection).detail
    this.open.add(quic)
    quic.addEventListener(quicEvents.EventQUICConnectionStopped.name, () => {
      this.open.delete(quic)
      void this.stopIfIdle()
    }, { once: true })
    const destroy = async (code: number, reason: string): Promise<void> => {
      try {
        await quic.stop({ isApp: true, errorCode: code, reason: Buffer.from(reason.slice(0, 200)), force: true })
      } catch (err) {
        this.options.logger('stopping an inbound QUIC connection failed: %s', (err as Error)?.message)
      }
    }
    if (!this.accepting) {
      void destroy(0, 'not accepting')
      return
    }
    const check = checkPeerCertificate(quic.getRemoteCertsChain()[0])
    if (!check.ok) {
      // The TLS verify callback already refused such peers; this is a second line of defence.
      void destroy(1, `refused: ${check.reason}`)
      return
    }
    let connection: QuicConnection
    try {
      connection = this.options.wrap(quic, 'inbound', destroy)
    } catch (err) {
      this.options.logger.error('dropping an inbound connection: %s', (err as Error)?.message)
      void destroy(1, 'internal error')
      return
    }
    try {
      this.options.onConnection(connection)
    } catch (err) {
      this.options.logger.error('onConnection threw for %s: %s', connection.remoteAddress, (err as Error)?.message)
      connection.close(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private async stopIfIdle (): Promise<void> {
    if (this.accepting || this.stopped || this.open.size > 0 || this.pendingHandshakes > 0) return
    this.stopped = true
    try {
      await this.server.stop({ force: true })
      await this.socket.stop({ force: true })
    } catch (err) {
      this.options.logger('closing the QUIC socket failed: %s', (err as Error)?.message)
    }
  }
}
