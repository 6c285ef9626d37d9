/**
 * The one import an application needs: everything of `@codio-chunk/interface` (contracts, value
 * types, errors), `@codio-chunk/protocol` (wire protocol, identities), `@codio-chunk/content`
 * (UnixFS content model) and `@codio-chunk/engine` (ChunkDistributor, ChunkConfig, memoryStorage).
 * Plugins depend on the interface package alone, or on protocol and content when they need them.
 */
export * from '@codio-chunk/interface'
export * from '@codio-chunk/protocol'
export * from '@codio-chunk/content'
export * from '@codio-chunk/pieces'
export * from '@codio-chunk/engine'
