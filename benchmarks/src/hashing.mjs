// pnpm bench -- --only hashing: chunk hashing throughput (tinybench), in MB/s (10^6 bytes per
// second, median sample) for 256 KiB and 1 MiB chunks: the four-lane WebAssembly SIMD SHA-256
// kernel in batches of 4 and 16 (and the kernel alone, without copying into its memory),
// hash-wasm SHA-256, node:crypto SHA-256, hash-wasm BLAKE3, @napi-rs/blake-hash BLAKE3, and
// digestMany on worker threads. Every task runs in each of several rounds (the machine is shared:
// rounds spread a busy moment over all tasks) and reports the median over rounds. Prints SIMD ÷
// hash-wasm (target: at least 2×) and writes results/hashing.json.
// Options: --quick (one short round), --rounds N (3), --time ms per task and round (500).
import { createHash, randomFillSync } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Bench } from 'tinybench'
import { createBLAKE3, createSHA256 } from 'hash-wasm'
import { blake3 } from '@napi-rs/blake-hash'
import { instantiateSha256x4, loadWasmSimdBackend, sha256Verifier } from '@codio-chunk/verifier-sha256'
import { blake3Verifier } from '@codio-chunk/verifier-blake3'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({ args: process.argv.slice(2).filter(a => a !== '--'), strict: false, options: { quick: { type: 'boolean', default: false }, time: { type: 'string' }, rounds: { type: 'string' } } })
const time = Number(values.time ?? (values.quick ? 150 : 500))
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const KiB = 1024
const SIZES = [256 * KiB, 1024 * KiB]

const simd = await loadWasmSimdBackend()
if (simd.name !== 'wasm-simd') throw new Error('this Node.js has no WebAssembly SIMD')
const sha256Wasm = await createSHA256()
const blake3Wasm = await createBLAKE3()
const hashWasm = (hasher, chunk) => { hasher.init(); hasher.update(chunk); return hasher.digest('binary') }
const pools = {
  'wasm-simd': sha256Verifier({ backend: 'wasm-simd', workers: 2 }),
  node: sha256Verifier({ backend: 'node', workers: 2 })
}
const napiBlake3Verifier = blake3Verifier()

/** The kernel alone: four lanes compressing a 16 KiB segment per call already in its memory, no copy. */
async function kernelOnly () {
  const kernel = await instantiateSha256x4()
  const segment = 16 * KiB
  const base = kernel.HEAP_BASE.value
  const missing = base + 4 * segment - kernel.memory.buffer.byteLength
  if (missing > 0) kernel.memory.grow(Math.ceil(missing / 65536))
  return (chunkSize) => {
    for (let at = 0; at < chunkSize; at += segment) kernel.compress(base, base + segment, base + 2 * segment, base + 3 * segment, segment / 64)
  }
}
const compressOnly = await kernelOnly()

const rows = []
const summary = []
for (const size of SIZES) {
  const chunks = Array.from({ length: 16 }, () => randomFillSync(new Uint8Array(size)))
  const four = chunks.slice(0, 4)
  // Each task hashes `count` chunks per iteration.
  const tasks = [
    ['sha256', 'wasm-simd kernel, batches of 4', 4, () => simd.digestMany(four)],
    ['sha256', 'wasm-simd kernel, batches of 16', 16, () => simd.digestMany(chunks)],
    ['sha256', 'wasm-simd kernel alone (no copy in)', 4, () => compressOnly(size)],
    ['sha256', 'hash-wasm', 4, () => { for (const c of four) hashWasm(sha256Wasm, c) }],
    ['sha256', 'node:crypto', 4, () => { for (const c of four) createHash('sha256').update(c).digest() }],
    ['sha256', 'wasm-simd, 2 worker threads, batches of 16', 16, async () => await pools['wasm-simd'].digestMany(chunks)],
    ['sha256', 'node:crypto, 2 worker threads, batches of 16', 16, async () => await pools.node.digestMany(chunks)],
    ['blake3', 'hash-wasm', 4, () => { for (const c of four) hashWasm(blake3Wasm, c) }],
    ['blake3', '@napi-rs/blake-hash', 4, () => { for (const c of four) blake3(c) }],
    ['blake3', 'verifier-blake3 digestMany, batches of 16', 16, async () => await napiBlake3Verifier.digestMany(chunks)]
  ]
  const samples = tasks.map(() => [])
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time, warmupTime: Math.min(time, 250) })
    for (const [hash, name, , fn] of tasks) bench.add(`${hash} ${name}`, fn)
    await bench.run()
    tasks.forEach(([, , count], i) => {
      const result = bench.tasks[i].result
      if (result?.error !== undefined) throw result.error
      samples[i].push((count * size) / (result.latency.p50 / 1000) / 1e6)
    })
  }
  const at = (name) => tasks.findIndex(([hash, n]) => hash === 'sha256' && n === name)
  const ratio = (a, b) => median(samples[at(a)].map((x, r) => x / samples[at(b)][r]))
  const label = `${size / KiB} KiB`
  tasks.forEach(([hash, name], i) => { rows.push({ chunk: label, hash, implementation: name, 'MB/s': median(samples[i]) }) })
  summary.push({
    chunk: label,
    'SIMD ÷ hash-wasm, batches of 4': ratio('wasm-simd kernel, batches of 4', 'hash-wasm'),
    'SIMD ÷ hash-wasm, batches of 16': ratio('wasm-simd kernel, batches of 16', 'hash-wasm'),
    'copy-in cost': 1 - ratio('wasm-simd kernel, batches of 4', 'wasm-simd kernel alone (no copy in)')
  })
}
await Promise.all(Object.values(pools).map(async v => { await v.close() }))

console.log(`\nHashing throughput, MB/s (10^6 bytes/s): median sample of each task, median of ${rounds} round(s) of ${time} ms per task; one thread unless stated; Node ${process.version}:`)
console.table(rows.map(r => ({ ...r, 'MB/s': Math.round(r['MB/s']) })))
console.log('The SIMD kernel against hash-wasm SHA-256 in the same rounds (target: at least 2×), and what copying chunks into WebAssembly memory costs it:')
console.table(summary.map(s => ({ chunk: s.chunk, 'SIMD ÷ hash-wasm, batches of 4': `${s['SIMD ÷ hash-wasm, batches of 4'].toFixed(2)}×`, 'SIMD ÷ hash-wasm, batches of 16': `${s['SIMD ÷ hash-wasm, batches of 16'].toFixed(2)}×`, 'copy-in cost': `${(100 * s['copy-in cost']).toFixed(0)}%` })))
mkdirSync(join(here, '..', 'results'), { recursive: true })
writeFileSync(join(here, '..', 'results', 'hashing.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, time, rounds, rows, summary }, null, 2) + '\n')
