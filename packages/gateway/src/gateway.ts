import { createServer } from 'node:http'
import { ListenError, abortError } from '@codio-chunk/interface'
import { gatewayHandler } from './handler.js'
import { resolveGatewayOptions } from './options.js'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ChunkDistributor } from '@codio-chunk/engine'
import type { AbortOptions } from '@codio-chunk/interface'
import type { GatewayHandler } from './handler.js'
import type { GatewayOptions } from './options.js'

/** Where a gateway listens. */
export interface GatewayAddress {
  readonly host: string
  readonly port: number
  /** `http://host:port` (IPv6 hosts in brackets). */
  readonly url: string
}

/** An HTTP gateway in front of a node (see {@link createGateway}). */
export interface Gateway {
  /** Starts listening; resolves with the address (port 0 picks a free one). Rejects with ListenError. */
  listen(host: string, port: number, options?: AbortOptions): Promise<GatewayAddress>
  /** The address it listens on, once listening. */
  readonly address: GatewayAddress | undefined
  /** The request listener, to mount on a server of your own instead. */
  readonly handler: GatewayHandler
  /** The `node:http` server (its limits are set from the options). */
  readonly server: Server
  /**
   * Stops listening, cuts off the responses under way (their downloads are released) and closes
   * every connection; resolves once the server is closed. The node keeps running.
   */
  close(): Promise<void>
}

/**
 * An HTTP gateway in front of a codio-chunk node, on `node:http`: the IPFS path gateway for UnixFS
 * files (`GET`/`HEAD /ipfs/{cid}`, ranges, sniffed types), the trustless gateway (`?format=raw`,
 * `?format=car`), and delegated routing (`/routing/v1/providers/{cid}`). Content the node lacks is
 * fetched from the swarm and streamed to the client as its chunks verify. The server is bounded:
 * `maxConnections`, `maxHeaderSize`, `headersTimeout` and `keepAliveTimeout` are set on it, and
 * `maxContentFetches` bounds the contents fetched for requests at once. It logs through the node's
 * logger (`codio-chunk:gateway`) and never prints.
 *
 * @example
 * ```ts
 * import { ChunkDistributor, ChunkConfig } from '@codio-chunk/core'
 * import { tcpTransport } from '@codio-chunk/transport-tcp'
 * import { sha256Verifier } from '@codio-chunk/verifier-sha256'
 * import { createGateway } from '@codio-chunk/gateway'
 *
 * const node = await ChunkDistributor.create(ChunkConfig.default(), { transports: [tcpTransport()], verifier: sha256Verifier() })
 * const gateway = createGateway(node, { providers: ['tcp://10.0.0.5:4001'] })
 * const { url } = await gateway.listen('127.0.0.1', 8080)
 * // curl "$url/ipfs/bafy…" -o video.mp4 ; curl "$url/ipfs/bafy…?format=car" -o video.car
 * await gateway.close()
 * await node.stop()
 * ```
 */
export function createGateway (node: ChunkDistributor, options: GatewayOptions = {}): Gateway {
  const resolved = resolveGatewayOptions(options)
  const handler = gatewayHandler(node, resolved)
  const log = node.components.logger('codio-chunk:gateway')
  const server = createServer({
    maxHeaderSize: resolved.maxHeaderSize,
    headersTimeout: resolved.headersTimeout,
    // The whole request is its head (GET/HEAD): allow it the head's time and a little more.
    requestTimeout: resolved.headersTimeout + 1000,
    keepAliveTimeout: resolved.keepAliveTimeout
  }, handler)
  server.maxConnections = resolved.maxConnections
  server.on('clientError', (err: Error & { code?: string }, socket) => {
    // Malformed requests, oversized heads, slow heads: answered as node:http does, logged here.
    log('client error: %s', err.code ?? err.message)
    if (socket.writable && err.code !== 'ECONNRESET') {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request'
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    } else {
      socket.destroy()
    }
  })
  server.on('drop', () => { log('connection refused: %d connections already open (maxConnections)', resolved.maxConnections) })
  let address: GatewayAddress | undefined

  return {
    handler,
    server,
    get address () { return address },
    async listen (host: string, port: number, listenOptions: AbortOptions = {}): Promise<GatewayAddress> {
      const { signal } = listenOptions
      if (signal?.aborted === true) throw abortError(signal, 'listen')
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => {
          signal?.removeEventListener('abort', onAbort)
          reject(new ListenError(`The gateway could not listen on ${host}:${port}: ${err.message}`, { cause: err }))
        }
        const onAbort = (): void => {
          server.off('error', onError)
          server.close()
          reject(abortError(signal as AbortSignal, 'listen'))
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        server.once('error', onError)
        server.listen(port, host, () => {
          server.off('error', onError)
          signal?.removeEventListener('abort', onAbort)
          resolve()
        })
      })
      const info = server.address() as AddressInfo
      address = { host: info.address, port: info.port, url: `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}` }
      log('listening on %s', address.url)
      return address
    },
    async close (): Promise<void> {
      handler.abortAll()
      const listening = server.listening
      const closed = new Promise<void>((resolve) => { server.close(() => { resolve() }) })
      server.closeAllConnections()
      if (listening) await closed
      address = undefined
    }
  }
}
