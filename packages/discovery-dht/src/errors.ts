import { CodioChunkError } from '@codio-chunk/interface'

/**
 * The DHT could not do what was asked (`code` `ERR_DHT`): the discovery is not started or was
 * stopped, no DHT node accepted an announcement, the socket failed. The message says what to do;
 * the library's own error, if any, is the `cause`.
 *
 * @example
 * ```ts
 * import { createComponents } from '@codio-chunk/protocol'
 * import { ContentId } from '@codio-chunk/interface'
 * import { dhtDiscovery, DhtError } from '@codio-chunk/discovery-dht'
 * const discovery = dhtDiscovery({ bootstrap: [] })(createComponents())
 * try {
 *   await discovery.provide(ContentId.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o'))
 * } catch (err) {
 *   if (err instanceof DhtError) console.log(err.message) // call start() first
 * }
 * ```
 */
export class DhtError extends CodioChunkError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_DHT', options)
    this.name = 'DhtError'
  }
}

/**
 * A `dhtDiscovery` option is out of range or of the wrong type (`code` `ERR_INVALID_CONFIG`),
 * thrown by `dhtDiscovery(init)` itself. The interface package's class, so `instanceof` holds
 * whichever package it is imported from.
 */
export { InvalidConfigError, ListenError } from '@codio-chunk/interface'
