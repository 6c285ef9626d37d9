import type { AbortOptions } from './common.js'
import type { ContentId } from './content-id.js'

/**
 * A peer said to hold a content, as a discovery found it. Addresses are in the node's own form
 * (`tcp://host:port`, `quic://host:port/p2p/<id>`); a record with no address the node can dial is
 * skipped by the engine.
 */
export interface ProviderRecord {
  /** The provider's libp2p peer id, when the discovery knows it (from a signed record; a tracker does not). */
  readonly peerId?: string
  /** Where the provider accepts connections (at least one). */
  readonly addresses: readonly string[]
}

/**
 * Finds who holds a content and tells others that this node does: the node's answer to "which
 * peers have this CID?" when it was given no addresses. Shaped like Helia's router
 * (`provide` / `findProviders`); implemented on the BitTorrent Mainline DHT (`dhtDiscovery()`,
 * `@codio-chunk/discovery-dht`) and on BitTorrent trackers (`trackerDiscovery()`,
 * `@codio-chunk/discovery-tracker`).
 *
 * The node calls `start` after it listens (so `components.addresses()` is known), `provide` for
 * every content it holds completely, again every `reprovideInterval`, and `findProviders` when a
 * download has too few peers. What a discovery returns is a claim: the engine dials it, checks
 * the peer's hello, verifies every block, and bounds how many records it takes from one lookup.
 *
 * @example
 * ```ts
 * const discovery = dhtDiscovery({ bootstrap: ['127.0.0.1:6881'] })(node.components)
 * await discovery.start()
 * await discovery.provide(cid)
 * for await (const provider of discovery.findProviders(cid, { signal: AbortSignal.timeout(10_000) })) {
 *   console.log(provider.peerId, provider.addresses)
 * }
 * await discovery.stop()
 * ```
 */
export interface Discovery {
  /** A short name for logs and errors, e.g. `dht`. */
  readonly name: string
  /**
   * How long an announcement lasts, in milliseconds: the node announces each content again
   * before this runs out, reading it anew for each round (a tracker learns its interval from its
   * first answer, so this may be a getter). Default (when absent): 15 minutes.
   */
  readonly reprovideInterval?: number
  /** Joins the network (bootstraps, opens sockets). Rejects if it cannot start at all. */
  start(options?: AbortOptions): Promise<void>
  /** Leaves the network and releases everything it holds; safe to call twice. */
  stop(): Promise<void>
  /** Announces that this node holds `cid` at `components.addresses()`. */
  provide(cid: ContentId, options?: AbortOptions): Promise<void>
  /**
   * The providers of `cid`, each as soon as it is found (not after the lookup ends). Ends when
   * the lookup is done; stops early (without an error) when `options.signal` aborts.
   */
  findProviders(cid: ContentId, options?: AbortOptions): AsyncIterable<ProviderRecord>
}
