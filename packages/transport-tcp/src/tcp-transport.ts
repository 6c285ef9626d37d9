import net from 'node:net'
import { DialError, abortError, throwIfAborted } from '@codio-chunk/interface'
import { checkListenOptions, checkPositiveInteger, isUnspecifiedHost, listenError, parseTransportAddress, socketAddress } from '@codio-chunk/protocol'
import { TcpConnection } from './tcp-connection.js'
import type { AddressInfo, Server } from 'node:net'
import type { BufferPool, Connection, DialOptions, Listener, ListenOptions, Logger, Transport, TransportComponents } from '@codio-chunk/interface'

/** Options of {@link tcpTransport}. */
export interface TcpTransportInit {
  /** Disable Nagle's algorithm so small messages (requests, have) leave at once. Default `true`. */
  noDelay?: boolean
  /**
   * Bytes a connection may queue for sending before `drain()` waits (the socket's write
   * high-water mark). Default 1 MiB.
   */
  highWaterMark?: number
  /** Milliseconds a closing connection may spend flushing queued messages. Default 2000. */
  closeTimeout?: number
  /**
   * Milliseconds a peer may stop sending in the middle of a frame before the connection is closed
   * (a half-sent frame holds its buffer). Default 30 000.
   */
  frameTimeout?: number
}

/** Default write high-water mark of a connection: 1 MiB. */
export const DEFAULT_TCP_HIGH_WATER_MARK = 1024 * 1024

/**
 * The TCP transport: codio-chunk frames (`u32` big-endian length + type + payload) over
 * `node:net`, for `tcp://host:port` addresses. `tcpTransport(init)` returns the factory a node
 * takes (`transports: [tcpTransport()]`); the node gives it its components: the frame limit, the
 * buffer pool large frames are read into, and its logger (namespace `codio-chunk:transport-tcp`).
 * Peer ids are only claimed over TCP, never proven.
 *
 * @example
 * ```ts
 * import { createComponents } from '@codio-chunk/protocol'
 * import { tcpTransport } from '@codio-chunk/transport-tcp'
 * const tcp = tcpTransport()(createComponents())
 * const listener = await tcp.listen('tcp://127.0.0.1:0', {
 *   onConnection: (conn) => conn.start({ onMessage: (m) => conn.send(m), onClose: () => {} })
 * })
 * const conn = await tcp.dial(listener.addresses[0], { signal: AbortSignal.timeout(5000) })
 * conn.start({ onMessage: (m) => { console.log(m.type); conn.close() }, onClose: () => listener.close() })
 * conn.send({ type: 'choke' })
 * ```
 */
export function tcpTransport (init: TcpTransportInit = {}): (components: TransportComponents) => Transport {
  const settings = {
    noDelay: init.noDelay ?? true,
    highWaterMark: checkPositiveInteger(init.highWaterMark ?? DEFAULT_TCP_HIGH_WATER_MARK, 'highWaterMark'),
    closeTimeout: checkPositiveInteger(init.closeTimeout ?? 2000, 'closeTimeout'),
    frameTimeout: checkPositiveInteger(init.frameTimeout ?? 30_000, 'frameTimeout')
  }
  return (components) => new TcpTransport(settings, components)
}

class TcpTransport implements Transport {
  readonly name = 'tcp'
  readonly protocols = ['tcp'] as const
  private readonly noDelay: boolean
  private readonly highWaterMark: number
  private readonly closeTimeout: number
  private readonly frameTimeout: number
  private readonly maxFrameSize: number
  private readonly buffers: BufferPool
  private readonly log: Logger

  constructor (settings: Required<TcpTransportInit>, components: TransportComponents) {
    this.noDelay = settings.noDelay
    this.highWaterMark = settings.highWaterMark
    this.closeTimeout = settings.closeTimeout
    this.frameTimeout = settings.frameTimeout
    this.maxFrameSize = components.maxFrameSize
    this.buffers = components.buffers
    this.log = components.logger('codio-chunk:transport-tcp')
  }

  async listen (address: string, options: ListenOptions): Promise<Listener> {
    const { host, port } = parseTransportAddress(address, 'tcp', 'TCP')
    const { signal, onConnection } = options
    checkListenOptions(address, options)

    const server = net.createServer({ pauseOnConnect: true, noDelay: this.noDelay, highWaterMark: this.highWaterMark })
    server.on('connection', (socket) => {
      let connection: TcpConnection
      try {
        socket.setNoDelay(this.noDelay)
        connection = this.wrap(socket, 'inbound')
      } catch (err) {
        this.log.error('dropping an inbound connection: %s', (err as Error)?.message)
        socket.destroy()
        return
      }
      try {
        onConnection(connection)
      } catch (err) {
        this.log.error('onConnection threw for %s: %s', connection.remoteAddress, (err as Error)?.message)
        connection.close(err instanceof Error ? err : new Error(String(err)))
      }
    })

    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        server.off('error', onError)
        signal?.removeEventListener('abort', onAbort)
      }
      const onError = (err: Error): void => {
        cleanup()
        server.close()
        reject(listenError(address, err))
      }
      const onAbort = (): void => {
        cleanup()
        server.close()
        reject(abortError(signal as AbortSignal, `listen on ${address}`))
      }
      server.once('error', onError)
      signal?.addEventListener('abort', onAbort, { once: true })
      server.listen({ host, port }, () => { cleanup(); resolve() })
    })

    server.on('error', (err) => this.log.error('listener %s failed: %s', address, err.message))
    const bound = server.address() as AddressInfo
    const reported = socketAddress('tcp', isUnspecifiedHost(host) ? host : bound.address, bound.port)
    this.log('listening on %s', reported)
    return new TcpListener(server, [reported], signal)
  }

  async dial (address: string, options: DialOptions = {}): Promise<Connection> {
    const { host, port } = parseTransportAddress(address, 'tcp', 'TCP')
    const { signal } = options
    throwIfAborted(signal, `dial to ${address}`)
    return await new Promise<Connection>((resolve, reject) => {
      // Outbound sockets read large frames straight into their buffers (`onread`); the connection
      // object supplies the buffers once it exists (nothing is read before start()).
      let connection: TcpConnection | undefined
      const spare = Buffer.allocUnsafe(1024)
      // `highWaterMark` reaches the socket's stream options (sets the write high-water mark).
      const socket = net.connect({
        host,
        port,
        highWaterMark: this.highWaterMark,
        onread: {
          buffer: () => connection?.readBuffer() ?? spare,
          callback: (n: number, buffer: Uint8Array) => connection?.onRead(n, buffer) ?? true
        }
      } as net.NetConnectOpts)
      // Nothing is read until the connection's handler is attached with start().
      socket.pause()
      socket.setNoDelay(this.noDelay)
      const cleanup = (): void => {
        socket.off('connect', onConnect)
        socket.off('error', onError)
        signal?.removeEventListener('abort', onAbort)
      }
      const onConnect = (): void => {
        cleanup()
        try {
          connection = this.wrap(socket, 'outbound', true)
          resolve(connection)
        } catch (err) {
          socket.destroy()
          reject(new DialError(`Could not set up the connection to ${address}`, { cause: err }))
        }
      }
      const onError = (err: Error): void => {
        cleanup()
        socket.destroy()
        reject(new DialError(`Could not connect to ${address}: ${err.message}. Check that a peer is listening there and reachable`, { cause: err }))
      }
      const onAbort = (): void => {
        cleanup()
        socket.destroy()
        reject(abortError(signal as AbortSignal, `dial to ${address}`))
      }
      socket.once('connect', onConnect)
      socket.once('error', onError)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  private wrap (socket: net.Socket, direction: 'inbound' | 'outbound', directReads = false): TcpConnection {
    return new TcpConnection(socket, { direction, maxFrameSize: this.maxFrameSize, buffers: this.buffers, logger: this.log, closeFlushTimeout: this.closeTimeout, frameTimeout: this.frameTimeout, directReads })
  }
}

class TcpListener implements Listener {
  readonly addresses: readonly string[]
  private closed = false

  constructor (private readonly server: Server, addresses: string[], private readonly signal: AbortSignal | undefined) {
    this.addresses = Object.freeze(addresses)
    signal?.addEventListener('abort', this.onAbort, { once: true })
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.signal?.removeEventListener('abort', this.onAbort)
    // Stops accepting at once; the server's own close callback would wait for open connections.
    this.server.close()
  }

  private readonly onAbort = (): void => {
    void this.close()
  }
}
