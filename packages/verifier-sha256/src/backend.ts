/**
 * A SHA-256 implementation the verifier delegates to. Backends are loaded once (they may compile
 * WebAssembly) and then hash synchronously on the calling thread.
 *
 * Three exist: `hash-wasm` (portable WebAssembly, one message at a time), `wasm-simd` (a
 * four-lane WebAssembly SIMD kernel whose `digestMany` hashes four messages at once) and `node`
 * (`node:crypto`, OpenSSL).
 */
export interface Sha256Backend {
  /** The backend's name, e.g. `hash-wasm`. */
  readonly name: Sha256BackendName
  /** The 32-byte digest of `bytes`, in a buffer the caller owns. */
  digest(bytes: Uint8Array): Uint8Array
  /** The digests of `inputs`, in order, each in a buffer the caller owns. */
  digestMany(inputs: readonly Uint8Array[]): Uint8Array[]
}

/** The SHA-256 backends a verifier can run on. */
export type Sha256BackendName = 'hash-wasm' | 'wasm-simd' | 'node'

/**
 * What `backend` may ask for: a backend by name, `'wasm'` (another name for `'hash-wasm'`), or
 * `'auto'`, the fastest available (see {@link sha256Verifier}).
 */
export type Sha256BackendOption = Sha256BackendName | 'wasm' | 'auto'

/** The backend used when none is asked for. */
export const DEFAULT_BACKEND: Sha256BackendOption = 'auto'
