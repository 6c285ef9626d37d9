/**
 * The codio-chunk wire protocol (PROTOCOL.md): frame and message encoding, the frame decoder,
 * peer addresses, node identities and peer ids, and the pieces every transport shares (connection
 * state, open-request bookkeeping, option and address checks, the chunk buffer pool). No engine,
 * no Node.js built-ins.
 */
export * from './codec.js'
export { decodeCid } from './cid-cache.js'
export * from './frame-decoder.js'
export * from './frame-admission.js'
export * from './address.js'
export * from './identity.js'
export * from './components.js'
export * from './connection-state.js'
export * from './request-ledger.js'
export * from './transport-options.js'
export * from './transport-helpers.js'
export * from './race-abort.js'
export { ChunkBufferPool, chunkBuffers, DEFAULT_MAX_POOLED_BYTES, DEFAULT_POOL_IDLE_MS, MIN_POOLED_BYTES } from './chunk-buffer-pool.js'
export type { ChunkBufferPoolInit } from './chunk-buffer-pool.js'
