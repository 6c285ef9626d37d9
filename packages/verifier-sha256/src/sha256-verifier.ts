import { loadHashWasmBackend } from './hash-wasm-backend.js'
import { loadNodeCryptoBackend } from './node-crypto-backend.js'
import { loadWasmSimdBackend } from './wasm-simd-backend.js'
import { loadWebCryptoBackend } from './webcrypto-backend.js'
import { compileSha256x4 } from './sha256x4-kernel.js'
import { createSha256WorkerPool } from './sha256-worker-pool.js'
import { createSha256Verifier } from './verifier-core.js'
import type { Sha256Verifier, Sha256VerifierInit } from './verifier-core.js'

/**
 * What `'auto'` picks on Node.js, decided by `pnpm bench -- --only hashing` on the project's
 * 2-core AMD EPYC (Zen 4, with SHA extensions) test machine, Node 20, one thread, median of 3
 * rounds, two runs: 256 KiB chunks: node:crypto 1,794–1,809 MB/s, the SIMD kernel 782–812 MB/s in
 * batches of 4 or 16, hash-wasm 298–341 MB/s; 1 MiB chunks: 1,771–1,800, 588–788 and 280–336
 * MB/s. OpenSSL uses the CPU's SHA instructions (x86 SHA-NI, Armv8 SHA-2), which recent server
 * CPUs have, so on Node `'auto'` is `'node'`. Elsewhere (browsers, the package's `browser`
 * export) `'auto'` measures the portable backends and takes the fastest.
 */
const AUTO = typeof process === 'object' && typeof process.versions?.node === 'string' ? 'node' : 'fastest'

/**
 * A SHA-256 {@link Verifier} (multihash `sha2-256`, code `0x12`, 32-byte digests).
 *
 * The backend is loaded lazily on first use. Until it has loaded, `digest()` returns a Promise;
 * once loaded, `digest()` of a synchronous backend returns the digest synchronously (the contract
 * allows either, and callers that `await` it work both ways; Web Crypto always returns a
 * Promise). `digestMany()` always returns a Promise; with `workers`, it hashes on worker threads.
 * `close()` stops the workers (later calls hash on the calling thread). Every returned digest is a
 * buffer of its own that the caller may keep or change.
 *
 * @example
 * ```ts
 * import { sha256Verifier } from '@codio-chunk/verifier-sha256'
 * const verifier = sha256Verifier({ backend: 'wasm-simd', workers: 1 })
 * const digest = await verifier.digest(new TextEncoder().encode('abc'))
 * Buffer.from(digest).toString('hex') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 * const [a, b] = await verifier.digestMany([new Uint8Array(0), new Uint8Array(1)])
 * await verifier.close?.()
 * const fastest = sha256Verifier({ backend: 'fastest' })
 * console.log(await fastest.selection()) // { backend: 'wasm-simd', measured: [{ backend, mbPerSecond }, …] }
 * ```
 */
export function sha256Verifier (init: Sha256VerifierInit = {}): Sha256Verifier {
  return createSha256Verifier(init, {
    auto: AUTO,
    loaders: {
      'hash-wasm': loadHashWasmBackend,
      'wasm-simd': loadWasmSimdBackend,
      webcrypto: loadWebCryptoBackend,
      node: loadNodeCryptoBackend
    },
    startPool: async (loaded, size, maxQueued) => {
      const kernel = loaded.name === 'wasm-simd' ? await compileSha256x4() : undefined
      return await createSha256WorkerPool({ size, backend: loaded.name, kernel, fallback: loaded.digestMany, maxQueued })
    }
  })
}
