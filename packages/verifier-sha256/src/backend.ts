/**
 * A SHA-256 implementation the verifier delegates to. Backends are loaded once (they may compile
 * WebAssembly) and then hash synchronously on the calling thread.
 *
 * Three exist: `hash-wasm` (portable WebAssembly, one message at a time), `wasm-simd` (a
 * four-lane WebAssembly SIMD kernel whose `digestMany` hashes four messages at once) and `node`
 * (`node:crypto`, OpenSSL). A fourth, Web Crypto, hashes asynchronously ({@link Sha256AsyncBackend}).
 */
export interface Sha256Backend {
  /** The backend's name, e.g. `hash-wasm`. */
  readonly name: Exclude<Sha256BackendName, 'webcrypto'>
  readonly async?: false
  /** The 32-byte digest of `bytes`, in a buffer the caller owns. */
  digest(bytes: Uint8Array): Uint8Array
  /** The digests of `inputs`, in order, each in a buffer the caller owns. */
  digestMany(inputs: readonly Uint8Array[]): Uint8Array[]
}

/**
 * A SHA-256 implementation that hashes asynchronously: Web Crypto (`crypto.subtle.digest`).
 */
export interface Sha256AsyncBackend {
  readonly name: 'webcrypto'
  readonly async: true
  /** The 32-byte digest of `bytes`, in a buffer the caller owns. */
  digest(bytes: Uint8Array): Promise<Uint8Array>
  /** The digests of `inputs`, in order; every digest is started at once. */
  digestMany(inputs: readonly Uint8Array[]): Promise<Uint8Array[]>
}

/** Either kind of backend. */
export type AnySha256Backend = Sha256Backend | Sha256AsyncBackend

/** The SHA-256 backends a verifier can run on. */
export type Sha256BackendName = 'hash-wasm' | 'wasm-simd' | 'node' | 'webcrypto'

/**
 * What `backend` may ask for: a backend by name, `'wasm'` (another name for `'hash-wasm'`),
 * `'fastest'` (the portable backend, SIMD kernel, hash-wasm or Web Crypto, that a short
 * measurement on this machine finds fastest) or `'auto'`: `'node'` on Node.js, `'fastest'`
 * elsewhere (see {@link sha256Verifier}).
 */
export type Sha256BackendOption = Sha256BackendName | 'wasm' | 'auto' | 'fastest'

/** The backend used when none is asked for. */
export const DEFAULT_BACKEND: Sha256BackendOption = 'auto'
