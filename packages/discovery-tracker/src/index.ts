export { trackerDiscovery, LOOKUP_ONLY_PORT } from './tracker-discovery.js'
export type { TrackerDiscoveryInit } from './options.js'
export {
  MAX_TRACKERS, MAX_PEERS_PER_LOOKUP, MAX_RESPONSE_BYTES, DEFAULT_TRACKER_TIMEOUT, DEFAULT_NUM_WANT,
  DEFAULT_STOP_TIMEOUT, DEFAULT_REPROVIDE_INTERVAL, MIN_REPROVIDE_INTERVAL, MAX_REPROVIDE_INTERVAL
} from './options.js'
export { infoHashOf, trackerPeerIdOf, PEER_ID_PREFIX } from './mapping.js'
export { MAX_LOOKUP_MEMBERSHIPS } from './memberships.js'
export {
  InvalidTrackerUrlError, TrackerError, TrackerFailureError, TrackerResponseError, TrackerTimeoutError,
  TrackerAnnounceError, DiscoveryStoppedError
} from './errors.js'
