// The browser build (the package's `browser` export): the portable backends only, no node:crypto
// and no worker threads, and `'auto'` measures them and takes the fastest.
import { loadHashWasmBackend } from './hash-wasm-backend.js'
import { loadWasmSimdBackend } from './wasm-simd-backend.js'
import { loadWebCryptoBackend } from './webcrypto-backend.js'
import { createSha256Verifier } from './verifier-core.js'
import type { Sha256Verifier, Sha256VerifierInit } from './verifier-core.js'

/**
 * A SHA-256 verifier for browsers: `'auto'` (the default) hashes a few MiB with each of the SIMD
 * kernel, hash-wasm and Web Crypto on first use and keeps the fastest; `selection()` tells which
 * and the speeds measured. `backend: 'node'` is refused (no node:crypto here), `workers` are
 * ignored.
 *
 * @example
 * ```ts
 * import { sha256Verifier } from '@codio-chunk/verifier-sha256'   // the browser build, in a bundle
 * const verifier = sha256Verifier()
 * const { backend, measured } = await verifier.selection()
 * console.log(`hashing with ${backend}`, measured)
 * ```
 */
export function sha256Verifier (init: Sha256VerifierInit = {}): Sha256Verifier {
  return createSha256Verifier(init, {
    auto: 'fastest',
    loaders: {
      'hash-wasm': loadHashWasmBackend,
      'wasm-simd': loadWasmSimdBackend,
      webcrypto: loadWebCryptoBackend
    }
  })
}

export type { Sha256Selection, Sha256Verifier, Sha256VerifierInit } from './verifier-core.js'
export { DEFAULT_BACKEND } from './backend.js'
export type { AnySha256Backend, Sha256AsyncBackend, Sha256Backend, Sha256BackendName, Sha256BackendOption } from './backend.js'
export { loadHashWasmBackend } from './hash-wasm-backend.js'
export { loadWasmSimdBackend } from './wasm-simd-backend.js'
export { loadWebCryptoBackend } from './webcrypto-backend.js'
export { measureSha256Backends } from './measure.js'
export type { MeasureInit, Sha256Measurement } from './measure.js'
export { compileSha256x4, instantiateSha256x4, sha256x4WasmBytes } from './sha256x4-kernel.js'
export type { Sha256x4Kernel } from './sha256x4-kernel.js'
export type { WasmGlobal, WasmMemory, WasmModule } from './wasm-api.js'
export { createSha256x4Driver } from './sha256x4-driver.js'
export type { Sha256DigestInto, Sha256x4DriverOptions } from './sha256x4-driver.js'
