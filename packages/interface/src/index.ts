/**
 * The contracts of codio-chunk: what a Transport, Strategy, Storage, Verifier and Discovery plugin implement,
 * the components a node gives its plugins, the value types the contracts speak of (ContentId,
 * Manifest, Bitfield, wire messages) and the named errors. No engine, no Node.js built-ins.
 */
export * from './errors.js'
export * from './common.js'
export * from './codes.js'
export * from './content-id.js'
export * from './manifest.js'
export * from './bitfield.js'
export * from './wire-messages.js'
export * from './sample-held.js'
export type * from './components.js'
export type * from './transport.js'
export type * from './strategy.js'
export type * from './storage.js'
export type * from './verifier.js'
export type * from './discovery.js'
