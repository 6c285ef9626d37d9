import { createSHA256 } from 'hash-wasm'
import type { Sha256Backend } from './backend.js'

/**
 * Loads the portable WebAssembly SHA-256 of `hash-wasm`. One hasher instance is reused for every
 * digest (`init` / `update` / `digest('binary')` run synchronously and never interleave), and
 * `digest('binary')` returns a fresh copy of the result, so outputs never alias each other.
 *
 * @example
 * ```ts
 * import { loadHashWasmBackend } from '@codio-chunk/verifier-sha256'
 * const backend = await loadHashWasmBackend()
 * backend.digest(new TextEncoder().encode('abc')) // ba7816bf…
 * ```
 */
export async function loadHashWasmBackend (): Promise<Sha256Backend> {
  const hasher = await createSHA256()
  const digest = (bytes: Uint8Array): Uint8Array => {
    hasher.init()
    hasher.update(bytes)
    return hasher.digest('binary')
  }
  return {
    name: 'hash-wasm',
    digest,
    digestMany (inputs: readonly Uint8Array[]): Uint8Array[] {
      const out = new Array<Uint8Array>(inputs.length)
      for (let i = 0; i < inputs.length; i++) out[i] = digest(inputs[i])
      return out
    }
  }
}
