// Runs in Chromium (bundled by ../browser.mjs): times each SHA-256 backend of the verifier's
// browser build on the same chunks, in batches as the engine hands them over.
import { loadHashWasmBackend, loadWasmSimdBackend, loadWebCryptoBackend } from '@codio-chunk/verifier-sha256'

const loaders = { 'wasm-simd': loadWasmSimdBackend, 'hash-wasm': loadHashWasmBackend, webcrypto: loadWebCryptoBackend }

function sample (length, seed) {
  const words = new Uint32Array(Math.ceil(length / 4))
  let x = seed * 0x9e3779b9 | 0
  for (let i = 0; i < words.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; words[i] = x }
  return new Uint8Array(words.buffer, 0, length)
}

/** MB/s (10^6 bytes per second) of each round hashing `mib` MiB in batches of `batch` chunks. */
window.hashBench = async ({ backend, chunkBytes = 256 * 1024, batch = 4, mib = 64, rounds = 3 }) => {
  const loaded = await loaders[backend]()
  const chunks = Array.from({ length: batch }, (_, i) => sample(chunkBytes, i + 1))
  const calls = Math.max(1, Math.round((mib * 1024 * 1024) / (chunkBytes * batch)))
  await loaded.digestMany(chunks)
  const speeds = []
  for (let round = 0; round < rounds; round++) {
    const started = performance.now()
    for (let i = 0; i < calls; i++) await loaded.digestMany(chunks)
    speeds.push((calls * batch * chunkBytes) / 1e3 / (performance.now() - started))
  }
  return { backend: loaded.name, speeds }
}
window.hashBenchReady = true
