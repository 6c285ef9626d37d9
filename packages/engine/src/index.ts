/**
 * The codio-chunk engine: `ChunkDistributor` (downloads from many peers in strategy order with
 * verification, failover and endgame; uploads with tit-for-tat choking and super-seeding; swarm
 * membership and peer exchange), `ChunkConfig`, the chunk-availability structures strategies
 * read, and `memoryStorage()`. No Node.js built-ins.
 */
export * from './config.js'
export * from './events.js'
export * from './memory-storage.js'
export * from './default-strategy.js'
export { ChunkDistributor } from './node/distributor.js'
export type { DistributorInit, StoreOptions, DownloadOptions } from './node/distributor.js'
export type { StreamOptions } from './node/content-stream.js'
export { READ_WINDOW_CHUNKS, MAX_PICK_WINDOWS } from './download/content-readers.js'
export type { DownloadProgress, SearchProgress } from './download/peer-download.js'
export type { DistributorEvents } from './node/distributor-events.js'
export type { PeerStats } from './peers/peer-stats.js'
export { decideUnchokes, slotForNewcomer, meetsRatio, RATIO_GRACE_BYTES, NEW_PEER_WEIGHT, SEED_TURN_RECHOKES } from './upload/choker.js'
export type { ChokerPeer, ChokerInput, ChokerOptions, ChokerDecision, UploadSlot } from './upload/choker.js'
export { RateMeter, systemClock } from './peers/rate-meter.js'
export type { Clock } from './peers/rate-meter.js'
export * from './upload/token-bucket.js'
export { toContentId } from './node/content-ref.js'
export type { ContentRef } from './node/content-ref.js'
export { rechunk } from './node/content-io.js'
export { SuperSeedPlanner, SUPER_SEED_PENDING_PER_PEER, SUPER_SEED_UNSPREAD_PER_PEER, SUPER_SEED_STALL_TIMEOUT } from './swarm/super-seed-planner.js'
export type { SuperSeedPlannerOptions, Reveal } from './swarm/super-seed-planner.js'
export { DiscoveryService, MAX_RECORDS_PER_LOOKUP, MAX_ADDRESSES_PER_RECORD, DEFAULT_REPROVIDE_INTERVAL } from './discovery/discovery-service.js'
export { SEARCH_DIALS, MAX_DIAL_QUEUE, LOOKUPS_BEFORE_GIVING_UP } from './discovery/provider-search.js'
export { ANNOUNCE_CONCURRENCY } from './discovery/announcer.js'
export { WANTED_SWARM_PEERS } from './download/download-coordinator.js'
