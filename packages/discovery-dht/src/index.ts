/**
 * A codio-chunk Discovery on the BitTorrent Mainline DHT: contents are announced under SHA-1 of
 * their CID's multihash (BEP 5), and each provider's addresses are in a BEP 44 record signed with
 * the node's own Ed25519 key, checked before a provider is yielded.
 */
export { dhtDiscovery, MAX_CONCURRENT_PROVIDES } from './dht-discovery.js'
export type { DhtDiscovery, DhtDiscoveryFactory, DhtStats } from './dht-discovery.js'
export { DEFAULT_BOOTSTRAP, DEFAULT_SCHEMES } from './options.js'
export type { DhtDiscoveryInit } from './options.js'
export { DhtError, InvalidConfigError, ListenError } from './errors.js'
export { contentKey } from './content-key.js'
export { MAX_RECORD_BYTES, MAX_RECORD_ADDRESSES } from './record-value.js'
export { MAX_ENDPOINTS_PER_SOURCE } from './find-providers.js'
export { MIN_REPUBLISH_INTERVAL } from './record-publisher.js'
export { STORE_NODES, PEER_TTL } from './dht-node.js'
export { MAX_STATE_BYTES } from './state-file.js'
