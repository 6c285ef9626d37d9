/**
 * Listening on an address failed (`code` `ERR_LISTEN`, the operating system error as `cause`).
 * The class is the interface package's, shared by every transport, so `instanceof ListenError` holds whichever
 * package it is imported from.
 *
 * @example
 * ```ts
 * import { createComponents } from '@codio-chunk/protocol'
 * import { tcpTransport, ListenError } from '@codio-chunk/transport-tcp'
 * try {
 *   await tcpTransport()(createComponents()).listen('tcp://127.0.0.1:4001', { onConnection: (c) => c.close() })
 * } catch (err) {
 *   if (err instanceof ListenError) console.error(err.message)
 * }
 * ```
 */
export { ListenError } from '@codio-chunk/interface'
