/**
 * A SHA-256 implementation the verifier delegates to. Backends are loaded once (they may compile
 * WebAssembly) and then hash synchronously on the calling thread.
 *
 * Two exist: `hash-wasm` (portable WebAssembly) and `node` (`node:crypto`). A SIMD multi-buffer
 * kernel, whose `digestMany` hashes several inputs at once, fits the same interface.
 */
export interface Sha256Backend {
  /** The backend's name, e.g. `hash-wasm`. */
  readonly name: Sha256BackendName
  /** The 32-byte digest of `bytes`, in a buffer the caller owns. */
  digest(bytes: Uint8Array): Uint8Array
  /** The digests of `inputs`, in order, each in a buffer the caller owns. */
  digestMany(inputs: readonly Uint8Array[]): Uint8Array[]
}

/** The SHA-256 backends a verifier can use. */
export type Sha256BackendName = 'hash-wasm' | 'node'

/** The backend used when none is asked for. */
export const DEFAULT_BACKEND: Sha256BackendName = 'hash-wasm'
