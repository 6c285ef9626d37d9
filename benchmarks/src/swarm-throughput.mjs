// pnpm bench: one downloader fetching random content over TCP on loopback from 1, 5 and 10
// seeders that run in another process. Prints a table (median of several runs), and writes
// results/latest.json. Options: --size MiB (256), --runs N (3), --chunk KiB (256),
// --seeders 1,5,10, --backends node,wasm-simd,hash-wasm,noop (the downloader's verifier: a
// SHA-256 backend, `*-workers` on worker threads, `auto`, or `noop`, a test double that hashes
// nothing, to show what verification costs), --chunks-per-peer N (4).
import { fork } from 'node:child_process'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ChunkConfig, ChunkDistributor, memoryStorage } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
import { noopVerifierFor } from './noop-verifier.mjs'
import { saveResults } from './results.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({ args: process.argv.slice(2).filter(a => a !== '--'), strict: false, options: { size: { type: 'string', default: '256' }, runs: { type: 'string', default: '3' }, chunk: { type: 'string', default: '256' }, seeders: { type: 'string', default: '1,5,10' }, backends: { type: 'string', default: 'node,wasm-simd,hash-wasm,noop' }, 'chunks-per-peer': { type: 'string', default: '4' } } })
const MiB = 1024 * 1024
const size = Number(values.size) * MiB
const runs = Number(values.runs)
const chunkSize = Number(values.chunk) * 1024
const REFERENCE = { 1: 50, 5: 200, 10: 350 } // MB/s of the original Rust codio-chunk for 1 / 5 / 10 peers

async function startSeeders (count) {
  const child = fork(join(here, 'seeders.mjs'), [String(count), String(size), String(chunkSize)], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'] })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const ready = JSON.parse((await lines.next()).value)
  return {
    ...ready,
    async stop () {
      child.stdin.write('stop\n')
      const report = JSON.parse((await lines.next()).value)
      return report.cpuSeconds
    }
  }
}

/** The downloader's verifier for each `--backends` name. `noop` first learns the digests in an untimed download. */
const VERIFIERS = {
  auto: () => sha256Verifier(),
  node: () => sha256Verifier({ backend: 'node' }),
  'wasm-simd': () => sha256Verifier({ backend: 'wasm-simd' }),
  'hash-wasm': () => sha256Verifier({ backend: 'hash-wasm' }),
  'node-workers': () => sha256Verifier({ backend: 'node', workers: 1 }),
  'wasm-simd-workers': () => sha256Verifier({ backend: 'wasm-simd', workers: 2 }),
  noop: async (seeders) => await noopVerifierFor(seeders.cid, seeders.addresses)
}
const unknownBackend = values.backends.split(',').find(name => !Object.hasOwn(VERIFIERS, name))
if (unknownBackend !== undefined) throw new Error(`unknown backend ${unknownBackend}; use ${Object.keys(VERIFIERS).join(', ')}`)

async function runOnce (count, backend) {
  const seeders = await startSeeders(count)
  const verifier = await VERIFIERS[backend](seeders)
  const config = ChunkConfig.builder().strategy(rarestFirst()).chunksPerPeer(Number(values['chunks-per-peer'])).build()
  const node = await ChunkDistributor.create(config, { transports: [tcpTransport()], verifier, storage: memoryStorage() })
  let first
  node.events.once('chunk:verified', () => { first = performance.now() })
  const cpuStart = process.cpuUsage()
  const started = performance.now()
  await node.download(seeders.cid, seeders.addresses)
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuStart)
  const rss = process.memoryUsage().rss
  await node.stop()
  const seederCpu = await seeders.stop()
  return {
    mibPerSecond: size / MiB / seconds,
    firstChunkMs: first - started,
    downloaderCpuSecondsPerGiB: ((cpu.user + cpu.system) / 1e6) * (1024 * MiB / size),
    seederCpuSecondsPerGiB: seederCpu * (1024 * MiB / size),
    rssMiB: rss / MiB
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rows = []
for (const backend of values.backends.split(',')) {
  for (const count of values.seeders.split(',').map(Number)) {
    const results = []
    for (let r = 0; r < runs; r++) results.push(await runOnce(count, backend))
    const row = {
      verifier: backend === 'noop' ? 'none (no-op test double)' : `sha256 ${backend}`,
      seeders: count,
      'MiB/s': median(results.map(r => r.mibPerSecond)),
      'reference MB/s': REFERENCE[count] ?? null,
      'first chunk ms': median(results.map(r => r.firstChunkMs)),
      'downloader CPU s/GiB': median(results.map(r => r.downloaderCpuSecondsPerGiB)),
      'seeders CPU s/GiB': median(results.map(r => r.seederCpuSecondsPerGiB)),
      'downloader RSS MiB': median(results.map(r => r.rssMiB))
    }
    rows.push(row)
    console.log(`${backend}, ${count} seeder(s): ${row['MiB/s'].toFixed(0)} MiB/s (median of ${runs})`)
  }
}
console.log(`\nOne downloader, ${size / MiB} MiB of random content, ${chunkSize / 1024} KiB chunks, TCP on loopback, seeders in another process, memory storage:`)
console.table(rows.map(r => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(k === 'MiB/s' ? 0 : 2)) : v]))))
// What verification costs: each verifier's rate beside the no-op test double's, same seeders.
const noop = rows.filter(r => r.verifier.startsWith('none'))
for (const row of rows) {
  const reference = noop.find(r => r.seeders === row.seeders)
  if (reference === undefined || reference === row) continue
  row['÷ no-op'] = row['MiB/s'] / reference['MiB/s']
  console.log(`${row.verifier}, ${row.seeders} seeder(s): ${(row['÷ no-op'] * 100).toFixed(0)}% of the no-op rate (verification costs ${((row['downloader CPU s/GiB'] - reference['downloader CPU s/GiB'])).toFixed(2)} downloader CPU s/GiB)`)
}
// Merged into results/latest.json under "swarm", leaving the other scenarios' entries alone.
saveResults('swarm', { size, chunkSize, runs, rows })
