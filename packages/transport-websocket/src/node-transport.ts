import { WebSocket } from 'ws'
import { DialError, InvalidAddressError, abortError, throwIfAborted } from '@codio-chunk/interface'
import { checkListenOptions, checkPositiveInteger, isUnspecifiedHost, listenError, socketAddress } from '@codio-chunk/protocol'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { BufferPool, Connection, DialOptions, Identity, Listener, ListenOptions, Logger, Transport, TransportComponents } from '@codio-chunk/interface'
import { MAX_MESSAGE_BYTES } from './message-socket.js'
import { nodeSocket } from './node-socket.js'
import { WEBSOCKET_SCHEMES, dialTarget, parseWebSocketAddress, webSocketSettings, webSocketUrl } from './options.js'
import type { WebSocketEndpoint, WebSocketSettings, WebSocketTransportInit } from './options.js'
import { authenticated } from './authenticated.js'
import { WsConnection } from './ws-connection.js'
import { WsListener } from './ws-listener.js'

/** Options of the Node.js build of `webSocketTransport`: the shared ones, plus listening. */
export interface NodeWebSocketTransportInit extends WebSocketTransportInit {
  /**
   * Key and certificate (PEM) to listen on `wss://` addresses. Without them a `wss://` listen
   * fails; put a TLS-terminating proxy in front of a `ws://` listener instead, if you prefer.
   */
  tls?: { key: string | Buffer, cert: string | Buffer }
  /** Sockets at once between TCP connect and a verified peer id; more are dropped. Default 64. */
  maxPendingHandshakes?: number
  /** Options for `wss://` dials, passed to Node's TLS (e.g. `ca` for a private certificate authority). */
  dialTls?: { ca?: string | Buffer, rejectUnauthorized?: boolean }
}

/**
 * The WebSocket transport for Node.js: listens on `ws://host:port` (and `wss://` with `tls`) with
 * the `ws` library, and dials `ws://` and `wss://` addresses. Browsers get a build that only dials
 * (the package's `browser` export). Every connection starts with an authentication handshake in
 * which both sides sign the other's random challenge with their node key, so `remotePeerId` is
 * proven and a dial to `…/p2p/<peer id>` refuses any other peer (`PeerIdMismatchError`). Then
 * codio-chunk frames travel in binary WebSocket messages of at most 64 KiB, with the same frame
 * limits and admission as TCP.
 *
 * @example
 * ```ts
 * import { createComponents } from '@codio-chunk/protocol'
 * import { webSocketTransport } from '@codio-chunk/transport-websocket'
 * const ws = webSocketTransport()(createComponents())
 * const listener = await ws.listen('ws://127.0.0.1:0', {
 *   onConnection: (conn) => conn.start({ onMessage: (m) => conn.send(m), onClose: () => {} })
 * })
 * const conn = await ws.dial(listener.addresses[0], { signal: AbortSignal.timeout(5000) })
 * console.log(conn.remotePeerId) // the listener's peer id, proven
 * conn.start({ onMessage: (m) => { console.log(m.type); conn.close() }, onClose: () => listener.close() })
 * conn.send({ type: 'choke' })
 * ```
 */
export function webSocketTransport (init: NodeWebSocketTransportInit = {}): (components: TransportComponents) => Transport {
  const settings = webSocketSettings(init)
  const maxPendingHandshakes = checkPositiveInteger(init.maxPendingHandshakes ?? 64, 'maxPendingHandshakes')
  return (components) => new NodeWebSocketTransport(settings, { tls: init.tls, dialTls: init.dialTls, maxPendingHandshakes }, components)
}

interface NodeOnly {
  tls?: NodeWebSocketTransportInit['tls']
  dialTls?: NodeWebSocketTransportInit['dialTls']
  maxPendingHandshakes: number
}

const ignore = (): void => {}

class NodeWebSocketTransport implements Transport {
  readonly name = 'websocket'
  readonly protocols = WEBSOCKET_SCHEMES
  private readonly identity: Identity
  private readonly maxFrameSize: number
  private readonly buffers: BufferPool
  private readonly log: Logger

  constructor (private readonly settings: WebSocketSettings, private readonly nodeOnly: NodeOnly, components: TransportComponents) {
    this.identity = components.identity
    this.maxFrameSize = components.maxFrameSize
    this.buffers = components.buffers
    this.log = components.logger('codio-chunk:transport-websocket')
  }

  get peerId (): string {
    return this.identity.peerId
  }

  async listen (address: string, options: ListenOptions): Promise<Listener> {
    const { scheme, host, port, peerId } = parseWebSocketAddress(address)
    checkListenOptions(address, options, { peerId: this.identity.peerId, addressPeerId: peerId })
    if (scheme === 'wss' && this.nodeOnly.tls === undefined) {
      throw new InvalidAddressError(`Cannot listen on ${address}: wss:// needs a key and certificate (webSocketTransport({ tls: { key, cert } })), or listen on ws:// behind a TLS-terminating proxy`)
    }
    const { signal, onConnection } = options
    const listener = new WsListener({
      tls: scheme === 'wss' ? this.nodeOnly.tls : undefined,
      requestTimeout: this.settings.handshakeTimeout,
      maxPendingHandshakes: this.nodeOnly.maxPendingHandshakes,
      logger: this.log,
      accept: async (ws, request) => await this.accept(scheme, ws, request),
      onConnection
    })
    const server = listener.server
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        server.off('error', onError)
        signal?.removeEventListener('abort', onAbort)
      }
      const onError = (err: Error): void => {
        cleanup()
        void listener.close()
        reject(listenError(address, err))
      }
      const onAbort = (): void => {
        cleanup()
        void listener.close()
        reject(abortError(signal as AbortSignal, `listen on ${address}`))
      }
      server.once('error', onError)
      signal?.addEventListener('abort', onAbort, { once: true })
      server.listen({ host, port }, () => { cleanup(); resolve() })
    })
    server.on('error', (err) => this.log.error('listener %s failed: %s', address, err.message))
    const bound = server.address() as AddressInfo
    const reported = socketAddress(scheme, isUnspecifiedHost(host) ? host : bound.address, bound.port, this.identity.peerId)
    listener.addresses = Object.freeze([reported])
    signal?.addEventListener('abort', () => { void listener.close() }, { once: true })
    this.log('listening on %s', reported)
    return listener
  }

  async dial (address: string, options: DialOptions = {}): Promise<Connection> {
    const { endpoint, expected } = dialTarget(address, options.peerId)
    const { signal } = options
    throwIfAborted(signal, `dial to ${address}`)
    const ws = new WebSocket(webSocketUrl(endpoint), {
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: this.settings.handshakeTimeout,
      ...(endpoint.scheme === 'wss' ? this.nodeOnly.dialTls : {})
    })
    let local = socketAddress(endpoint.scheme, undefined, undefined)
    ws.once('upgrade', (response: IncomingMessage) => {
      local = socketAddress(endpoint.scheme, response.socket.localAddress, response.socket.localPort)
    })
    const connection = await new Promise<WsConnection>((resolve, reject) => {
      const cleanup = (): void => {
        ws.off('open', onOpen)
        ws.off('error', onError)
        signal?.removeEventListener('abort', onAbort)
        // terminate() before the upgrade makes ws report an error too: nobody needs it.
        ws.on('error', ignore)
      }
      const onOpen = (): void => {
        cleanup()
        resolve(this.wrap(ws, 'outbound', endpoint, local, expected))
      }
      const onError = (err: Error): void => {
        cleanup()
        ws.terminate()
        reject(new DialError(`Could not connect to ${address}: ${err.message}. Check that a codio-chunk node listens there with the WebSocket transport and is reachable`, { cause: err }))
      }
      const onAbort = (): void => {
        cleanup()
        ws.terminate()
        reject(abortError(signal as AbortSignal, `dial to ${address}`))
      }
      ws.on('open', onOpen)
      ws.on('error', onError)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    return await authenticated(connection, address, signal)
  }

  private async accept (scheme: 'ws' | 'wss', ws: WebSocket, request: IncomingMessage): Promise<Connection> {
    const socket = request.socket
    const remote = socketAddress(scheme, socket.remoteAddress, socket.remotePort)
    const local = socketAddress(scheme, socket.localAddress, socket.localPort)
    const connection = new WsConnection(nodeSocket(ws), this.connectionOptions('inbound', remote, local, undefined))
    await connection.ready
    return connection
  }

  private wrap (ws: WebSocket, direction: 'outbound', endpoint: WebSocketEndpoint, local: string, expected: string | undefined): WsConnection {
    const remote = socketAddress(endpoint.scheme, endpoint.host, endpoint.port)
    return new WsConnection(nodeSocket(ws), this.connectionOptions(direction, remote, local, expected))
  }

  private connectionOptions (direction: 'inbound' | 'outbound', remoteAddress: string, localAddress: string, expectedPeerId: string | undefined): ConstructorParameters<typeof WsConnection>[1] {
    return {
      direction,
      remoteAddress,
      localAddress,
      identity: this.identity,
      expectedPeerId,
      maxFrameSize: this.maxFrameSize,
      buffers: this.buffers,
      logger: this.log,
      ...this.settings
    }
  }
}
