import { CodioChunkError } from '@codio-chunk/core'

/**
 * Listening on an address failed: the port is in use, the address is not local, or permission
 * was denied. `code` is `ERR_LISTEN`; the operating system error is the `cause`.
 *
 * @example
 * ```ts
 * import { tcpTransport, ListenError } from '@codio-chunk/transport-tcp'
 * try {
 *   await tcpTransport().listen('tcp://127.0.0.1:4001', { onConnection: (c) => c.close() })
 * } catch (err) {
 *   if (err instanceof ListenError) console.error(err.message)
 * }
 * ```
 */
export class ListenError extends CodioChunkError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_LISTEN', options)
    this.name = 'ListenError'
  }
}
