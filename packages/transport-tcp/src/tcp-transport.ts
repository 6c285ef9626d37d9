import net from 'node:net'
import {
  checkMaxFrameSize, isUnspecifiedHost,
  DEFAULT_MAX_FRAME_SIZE, DialError, abortError, silentLogger, throwIfAborted, checkListenOptions, checkPositiveInteger
} from '@codio-chunk/core'
import { ListenError } from './errors.js'
import { parseTcpAddress, tcpAddress } from './tcp-address.js'
import { TcpConnection } from './tcp-connection.js'
import type { AddressInfo, Server } from 'node:net'
import type { Connection, DialOptions, Listener, ListenOptions, Logger, Transport } from '@codio-chunk/core'

/** Options of {@link tcpTransport}. */
export interface TcpTransportInit {
  /** Disable Nagle's algorithm so small messages (requests, have) leave at once. Default `true`. */
  noDelay?: boolean
  /**
   * Bytes a connection may queue for sending before `drain()` waits (the socket's write
   * high-water mark). Default 1 MiB.
   */
  highWaterMark?: number
  /**
   * Largest frame (type byte + payload) a connection accepts, unless `listen`/`dial` options say
   * otherwise. Default `DEFAULT_MAX_FRAME_SIZE` (4 MiB + 4 KiB).
   */
  maxFrameSize?: number
  /** Milliseconds a closing connection may spend flushing queued messages. Default 2000. */
  closeTimeout?: number
  /** Where to log (namespace `codio-chunk:transport-tcp`). Silent by default. */
  logger?: Logger
}

/** Default write high-water mark of a connection: 1 MiB. */
export const DEFAULT_TCP_HIGH_WATER_MARK = 1024 * 1024

/**
 * The TCP transport: codio-chunk frames (`u32` big-endian length + type + payload) over
 * `node:net`, for `tcp://host:port` addresses.
 *
 * @example
 * ```ts
 * import { tcpTransport } from '@codio-chunk/transport-tcp'
 * const tcp = tcpTransport()
 * const listener = await tcp.listen('tcp://127.0.0.1:0', {
 *   onConnection: (conn) => conn.start({ onMessage: (m) => conn.send(m), onClose: () => {} })
 * })
 * const conn = await tcp.dial(listener.addresses[0], { signal: AbortSignal.timeout(5000) })
 * conn.start({ onMessage: (m) => { console.log(m.type); conn.close() }, onClose: () => listener.close() })
 * conn.send({ type: 'choke' })
 * ```
 */
export function tcpTransport (init: TcpTransportInit = {}): Transport {
  return new TcpTransport(init)
}

class TcpTransport implements Transport {
  readonly name = 'tcp'
  readonly protocols = ['tcp'] as const
  private readonly noDelay: boolean
  private readonly highWaterMark: number
  private readonly maxFrameSize: number
  private readonly closeTimeout: number
  private readonly log: Logger

  constructor (init: TcpTransportInit) {
    this.noDelay = init.noDelay ?? true
    this.highWaterMark = checkPositiveInteger(init.highWaterMark ?? DEFAULT_TCP_HIGH_WATER_MARK, 'highWaterMark')
    this.maxFrameSize = checkMaxFrameSize(init.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE)
    this.closeTimeout = checkPositiveInteger(init.closeTimeout ?? 2000, 'closeTimeout')
    this.log = init.logger ?? silentLogger
  }

  async listen (address: string, options: ListenOptions): Promise<Listener> {
    const { host, port } = parseTcpAddress(address)
    const { signal, onConnection } = options
    const maxFrameSize = checkListenOptions(address, options, this.maxFrameSize)

    const server = net.createServer({ pauseOnConnect: true, noDelay: this.noDelay, highWaterMark: this.highWaterMark })
    server.on('connection', (socket) => {
      let connection: TcpConnection
      try {
        socket.setNoDelay(this.noDelay)
        connection = this.wrap(socket, 'inbound', maxFrameSize)
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
      const onError = (err: NodeJS.ErrnoException): void => {
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
    const reported = tcpAddress(isUnspecifiedHost(host) ? host : bound.address, bound.port)
    this.log('listening on %s', reported)
    return new TcpListener(server, [reported], signal)
  }

  async dial (address: string, options: DialOptions = {}): Promise<Connection> {
    const { host, port } = parseTcpAddress(address)
    const { signal } = options
    const maxFrameSize = options.maxFrameSize === undefined ? this.maxFrameSize : checkMaxFrameSize(options.maxFrameSize)
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
          connection = this.wrap(socket, 'outbound', maxFrameSize, true)
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

  private wrap (socket: net.Socket, direction: 'inbound' | 'outbound', maxFrameSize: number, directReads = false): TcpConnection {
    return new TcpConnection(socket, { direction, maxFrameSize, logger: this.log, closeFlushTimeout: this.closeTimeout, directReads })
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

function listenError (address: string, err: NodeJS.ErrnoException): ListenError {
  switch (err.code) {
    case 'EADDRINUSE':
      return new ListenError(`Cannot listen on ${address}: the port is already in use. Stop the other process or choose another port (port 0 picks a free one)`, { cause: err })
    case 'EADDRNOTAVAIL':
      return new ListenError(`Cannot listen on ${address}: the host is not an address of this machine. Use one of its addresses, or 0.0.0.0 / [::] for all`, { cause: err })
    case 'EACCES':
      return new ListenError(`Cannot listen on ${address}: permission denied. Ports below 1024 need privileges; choose a higher port`, { cause: err })
    default:
      return new ListenError(`Cannot listen on ${address}: ${err.message}`, { cause: err })
  }
}

