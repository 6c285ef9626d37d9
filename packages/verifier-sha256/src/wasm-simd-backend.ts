import type { Sha256Backend } from './backend.js'
import { loadHashWasmBackend } from './hash-wasm-backend.js'
import { createSha256x4Driver } from './sha256x4-driver.js'
import { instantiateSha256x4 } from './sha256x4-kernel.js'

/**
 * Loads the four-lane WebAssembly SIMD SHA-256 (`wasm/sha256x4.wat`). `digestMany` hashes four
 * messages at once, of any lengths; `digest` of one message, and the odd message of a batch of
 * 1, 5, 9, …, use hash-wasm, since one lane alone is slower than a scalar hash. Where the runtime
 * has no WebAssembly SIMD, the backend is hash-wasm itself (its `name` says so).
 *
 * @example
 * ```ts
 * import { loadWasmSimdBackend } from '@codio-chunk/verifier-sha256'
 * const backend = await loadWasmSimdBackend()
 * backend.name // 'wasm-simd', or 'hash-wasm' without WebAssembly SIMD
 * const digests = backend.digestMany([new Uint8Array(256 * 1024), new Uint8Array(256 * 1024)])
 * ```
 */
export async function loadWasmSimdBackend (): Promise<Sha256Backend> {
  const [kernel, scalar] = await Promise.all([instantiateSha256x4(), loadHashWasmBackend()])
  if (kernel === undefined) return scalar
  const digestInto = createSha256x4Driver(kernel, { single: scalar.digest })
  return {
    name: 'wasm-simd',
    digest: scalar.digest,
    digestMany (inputs: readonly Uint8Array[]): Uint8Array[] {
      if (inputs.length === 1) return [scalar.digest(inputs[0])]
      const out = new Uint8Array(32 * inputs.length)
      digestInto(inputs, out)
      const digests = new Array<Uint8Array>(inputs.length)
      for (let i = 0; i < inputs.length; i++) digests[i] = out.subarray(32 * i, 32 * i + 32)
      return digests
    }
  }
}
