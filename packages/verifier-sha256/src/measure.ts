import type { AnySha256Backend, Sha256BackendName } from './backend.js'

/** One backend's speed as {@link measureSha256Backends} found it. */
export interface Sha256Measurement {
  readonly backend: Sha256BackendName
  /** Megabytes (10^6 bytes) hashed per second, the best round. */
  readonly mbPerSecond: number
}

/** Options of {@link measureSha256Backends}. */
export interface MeasureInit {
  /** Bytes per message: the chunk size to measure at. Default 256 KiB. */
  chunkBytes?: number
  /** Messages per `digestMany` call (the SIMD kernel hashes four at once). Default 4. */
  batch?: number
  /** Rounds to time after one warm-up round; the best is kept. Default 4. */
  rounds?: number
}

/**
 * Times each backend's `digestMany` on the same messages and returns their speeds, fastest first.
 * One warm-up round (WebAssembly tiers up, Web Crypto starts its threads), then `rounds` timed
 * rounds; the best round counts. With the defaults each backend hashes 5 MiB, a few milliseconds
 * to a few tens of milliseconds.
 *
 * @example
 * ```ts
 * import { loadHashWasmBackend, loadWasmSimdBackend, loadWebCryptoBackend, measureSha256Backends } from '@codio-chunk/verifier-sha256'
 * const speeds = await measureSha256Backends(await Promise.all([loadWasmSimdBackend(), loadHashWasmBackend(), loadWebCryptoBackend()]))
 * console.log(speeds[0].backend, speeds.map(s => `${s.backend} ${s.mbPerSecond.toFixed(0)} MB/s`))
 * ```
 */
export async function measureSha256Backends (backends: readonly AnySha256Backend[], init: MeasureInit = {}): Promise<Sha256Measurement[]> {
  const chunkBytes = init.chunkBytes ?? 256 * 1024
  const batch = init.batch ?? 4
  const rounds = init.rounds ?? 4
  const inputs = Array.from({ length: batch }, (_, i) => sample(chunkBytes, i + 1))
  const seen = new Set<string>()
  const out: Sha256Measurement[] = []
  for (const backend of backends) {
    if (seen.has(backend.name)) continue
    seen.add(backend.name)
    await backend.digestMany(inputs)
    let best = Infinity
    for (let round = 0; round < rounds; round++) {
      const started = performance.now()
      await backend.digestMany(inputs)
      best = Math.min(best, performance.now() - started)
    }
    out.push({ backend: backend.name, mbPerSecond: (chunkBytes * batch) / 1e3 / Math.max(best, 0.001) })
  }
  return out.sort((a, b) => b.mbPerSecond - a.mbPerSecond)
}

/** Bytes that no backend can take a shortcut on (xorshift32). */
function sample (length: number, seed: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(length / 4))
  let x = seed * 0x9e3779b9 | 0
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x
  }
  return new Uint8Array(words.buffer, 0, length)
}
