import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { WebSocketServer } from 'ws'
import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Connection, Listener, Logger } from '@codio-chunk/interface'
import type { WebSocket } from 'ws'
import { MAX_MESSAGE_BYTES } from './message-socket.js'

/** What a {@link WsListener} needs from its transport. */
export interface WsListenerOptions {
  /** Key and certificate (PEM) for `wss://`; without them the listener speaks plain `ws://`. */
  tls?: { key: string | Buffer, cert: string | Buffer }
  /** Milliseconds an HTTP upgrade request may take to arrive; as long again for the handshake after it. */
  requestTimeout: number
  /** Sockets at once that have not finished their authentication handshake; more are dropped. */
  maxPendingHandshakes: number
  logger: Logger
  /**
   * Wraps an upgraded WebSocket in a connection that authenticates its peer; resolves once it has
   * (the listener then hands it to `onConnection`), rejects if the handshake fails.
   */
  accept: (ws: WebSocket, request: IncomingMessage) => Promise<Connection>
  onConnection: (connection: Connection) => void
}

const BODY_426 = 'This is a codio-chunk node: connect with a WebSocket (ws:// or wss://).\n'

/**
 * Accepts WebSockets on one HTTP(S) server. Plain HTTP requests get `426 Upgrade Required`.
 * Handshakes are bounded: at most `maxPendingHandshakes` sockets may be between their TCP
 * connect and a verified peer id, each for at most the request and handshake timeouts.
 * Closing the listener stops accepting at once and ends handshakes still running; authenticated
 * connections stay open.
 */
export class WsListener implements Listener {
  addresses: readonly string[] = []
  readonly server: Server
  private readonly wss: WebSocketServer
  private readonly options: WsListenerOptions
  /** Sockets not yet authenticated. */
  private readonly pending = new Set<Duplex>()
  private accepting = true

  constructor (options: WsListenerOptions) {
    this.options = options
    const server = options.tls === undefined ? createHttpServer() : createHttpsServer({ key: options.tls.key, cert: options.tls.cert })
    server.headersTimeout = options.requestTimeout
    server.requestTimeout = options.requestTimeout
    this.server = server
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false, clientTracking: false })
    server.on('connection', this.onSocket)
    server.on('request', (_request, response) => {
      response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket', connection: 'close' })
      response.end(BODY_426)
    })
    server.on('upgrade', this.onUpgrade)
    server.on('clientError', (_err, socket: Duplex) => { socket.destroy() })
  }

  /** Sockets that have not finished their handshake (for tests and monitoring). */
  get handshaking (): number {
    return this.pending.size
  }

  async close (): Promise<void> {
    if (!this.accepting) return
    this.accepting = false
    // Stops accepting at once; the server's own close callback would wait for open connections.
    this.server.close()
    for (const socket of this.pending) socket.destroy()
    this.pending.clear()
  }

  private readonly onSocket = (socket: Socket): void => {
    if (!this.accepting || this.pending.size >= this.options.maxPendingHandshakes) {
      this.options.logger('dropping a connection from %s: %d handshakes already pending', socket.remoteAddress, this.pending.size)
      socket.destroy()
      return
    }
    this.pending.add(socket)
    // Node's own header timeout is checked only every 30 s: a socket that neither upgrades nor
    // authenticates in time is dropped here.
    const timer = setTimeout(() => { if (this.pending.has(socket)) socket.destroy() }, 2 * this.options.requestTimeout)
    timer.unref()
    socket.once('close', () => {
      clearTimeout(timer)
      this.pending.delete(socket)
    })
  }

  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (!this.accepting) {
      socket.destroy()
      return
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      this.options.accept(ws, request).then((connection) => {
        this.pending.delete(socket)
        if (!this.accepting) {
          connection.close()
          return
        }
        try {
          this.options.onConnection(connection)
        } catch (err) {
          this.options.logger.error('onConnection threw for %s: %s', connection.remoteAddress, (err as Error)?.message)
          connection.close(err instanceof Error ? err : new Error(String(err)))
        }
      }, (err: unknown) => {
        this.pending.delete(socket)
        this.options.logger('refused a WebSocket peer from %s: %s', request.socket.remoteAddress, (err as Error)?.message)
      })
    })
  }
}
