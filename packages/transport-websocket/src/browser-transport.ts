import { DialError, ListenError, abortError, throwIfAborted } from '@codio-chunk/interface'
import { socketAddress } from '@codio-chunk/protocol'
import type { BufferPool, Connection, DialOptions, Identity, Listener, Logger, Transport, TransportComponents } from '@codio-chunk/interface'
import { authenticated } from './authenticated.js'
import { browserSocket, nativeWebSocket } from './browser-socket.js'
import type { NativeWebSocket, NativeWebSocketConstructor, NativeWebSocketEvent } from './browser-socket.js'
import { WEBSOCKET_SCHEMES, dialTarget, webSocketSettings, webSocketUrl } from './options.js'
import type { WebSocketSettings, WebSocketTransportInit } from './options.js'
import { WsConnection } from './ws-connection.js'

/** Options of the browser build of `webSocketTransport`. */
export interface BrowserWebSocketTransportInit extends WebSocketTransportInit {
  /** The WebSocket constructor to dial with. Default: the runtime's `globalThis.WebSocket`. */
  WebSocket?: NativeWebSocketConstructor
}

/**
 * The WebSocket transport for browsers (the package's `browser` export): dials `ws://` and
 * `wss://` addresses with the native `WebSocket`, proves this node's peer id and checks the
 * peer's in the same handshake as the Node.js build, and carries the same frames. A page cannot
 * listen: `listen` rejects with `ListenError`. It imports neither `ws` nor any Node.js built-in.
 *
 * Browsers give no send-completion callbacks, so `drain()` polls `bufferedAmount` every few
 * milliseconds while something waits, and `send`'s `sent` callback is not called (the engine then
 * does not reuse that buffer). Browsers cannot stop reading either: messages that arrive before
 * `start()` are kept (up to 4 MiB + 64 KiB, then the connection fails).
 *
 * @example
 * ```ts
 * import { ChunkConfig, ChunkDistributor, memoryStorage } from '@codio-chunk/core'
 * import { webSocketTransport } from '@codio-chunk/transport-websocket'   // the browser build, in a bundle
 * import { sha256Verifier } from '@codio-chunk/verifier-sha256'
 * const node = await ChunkDistributor.create(ChunkConfig.default(), {
 *   transports: [webSocketTransport()], verifier: sha256Verifier(), storage: memoryStorage()
 * })
 * const bytes = await node.downloadContent(cid, ['ws://127.0.0.1:4003/p2p/12D3KooW…'])
 * ```
 */
export function webSocketTransport (init: BrowserWebSocketTransportInit = {}): (components: TransportComponents) => Transport {
  const settings = webSocketSettings(init)
  return (components) => new BrowserWebSocketTransport(settings, init.WebSocket, components)
}

const ignore = (): void => {}

class BrowserWebSocketTransport implements Transport {
  readonly name = 'websocket'
  readonly protocols = WEBSOCKET_SCHEMES
  private readonly identity: Identity
  private readonly maxFrameSize: number
  private readonly buffers: BufferPool
  private readonly log: Logger

  constructor (private readonly settings: WebSocketSettings, private readonly ctor: NativeWebSocketConstructor | undefined, components: TransportComponents) {
    this.identity = components.identity
    this.maxFrameSize = components.maxFrameSize
    this.buffers = components.buffers
    this.log = components.logger('codio-chunk:transport-websocket')
  }

  get peerId (): string {
    return this.identity.peerId
  }

  async listen (address: string): Promise<Listener> {
    throw new ListenError(`Cannot listen on ${address}: a browser page cannot accept connections. Dial Node.js nodes that listen on ws:// or wss:// instead`)
  }

  async dial (address: string, options: DialOptions = {}): Promise<Connection> {
    const { endpoint, expected } = dialTarget(address, options.peerId)
    const { signal } = options
    throwIfAborted(signal, `dial to ${address}`)
    const Ctor = this.ctor ?? nativeWebSocket()
    if (Ctor === undefined) throw new DialError(`Cannot dial ${address}: this runtime has no WebSocket`)
    let ws: NativeWebSocket
    try {
      ws = new Ctor(webSocketUrl(endpoint))
    } catch (err) {
      throw new DialError(`Could not open a WebSocket to ${address}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
    }
    const remote = socketAddress(endpoint.scheme, endpoint.host, endpoint.port)
    const connection = await new Promise<WsConnection>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const cleanup = (): void => {
        clearTimeout(timer)
        ws.removeEventListener('open', onOpen)
        ws.removeEventListener('error', onFail)
        ws.removeEventListener('close', onFail)
        signal?.removeEventListener('abort', onAbort)
        // Closing a socket that is still connecting may report an error too: nobody needs it.
        ws.addEventListener('error', ignore)
      }
      const onOpen = (): void => {
        cleanup()
        resolve(new WsConnection(browserSocket(ws), {
          direction: 'outbound',
          remoteAddress: remote,
          localAddress: socketAddress(endpoint.scheme, undefined, undefined),
          identity: this.identity,
          expectedPeerId: expected,
          maxFrameSize: this.maxFrameSize,
          buffers: this.buffers,
          logger: this.log,
          ...this.settings
        }))
      }
      const onFail = (event: NativeWebSocketEvent): void => {
        cleanup()
        ws.close()
        // Browsers tell a page nothing about why a WebSocket failed to open.
        const code = event.code === undefined ? '' : ` (close code ${event.code})`
        reject(new DialError(`Could not connect to ${address}${code}. Check that a codio-chunk node listens there with the WebSocket transport and is reachable`))
      }
      const onAbort = (): void => {
        cleanup()
        ws.close()
        reject(abortError(signal as AbortSignal, `dial to ${address}`))
      }
      ws.addEventListener('open', onOpen)
      ws.addEventListener('error', onFail)
      ws.addEventListener('close', onFail)
      signal?.addEventListener('abort', onAbort, { once: true })
      // The HTTP upgrade gets the same time limit as the handshake after it.
      timer = setTimeout(() => {
        cleanup()
        ws.close()
        reject(new DialError(`No WebSocket connection to ${address} within ${this.settings.handshakeTimeout} ms`))
      }, this.settings.handshakeTimeout)
    })
    return await authenticated(connection, address, signal)
  }
}
