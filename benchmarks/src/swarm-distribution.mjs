// Scenario `distribution`: one seeder and N peers (8 and 32) that all start together, every node's
// upload capped by the rate limiter (8 MiB/s), 64 MiB of content, with the rarest-first, random and
// sequential strategies, each with a plain seeder and (rarest-first and random) with the seeder in
// super-seed mode (`superSeed: true`); with `--compare`, libtorrent in the same setup (N = 8).
// Reports the time T until the last peer finishes against the fluid-model lower bound (Kumar &
// Ross, 2006) T_min = max(F/u_s, F/d_min, N·F/(u_s + Σu_i)) and against client-server N·F/u_s, the
// efficiency T_min / T, the copies of the content the seeder sent, and how many chunks it sent
// twice before it had sent every chunk once (each delays the whole swarm). Runs of every row at one N
// are interleaved (round r of each row, then round r + 1), so load changes hit every row alike.
//
// Options: --dist-size MiB (64; --quick 8), --peers 8,32 (--quick 8), --cap MiB/s (8; --quick 4),
// --strategies rarest-first,random,sequential (--quick: the first two), --runs N (3; --quick 1),
// --sequential-runs N (1: sequential is slow and varies little), --super-seed both|off|only (rows
// with a super-seeding seeder for rarest-first and random: beside the plain rows, none, or only
// those), --workers W (worker processes
// for the peers; default: the fastest of the sweep, else 4), --worker-sweep 1,2,4 (full run only:
// --runs interleaved rarest-first rounds per count at the largest N), --compare, --lt-n 8,
// --lt-profiles default, --config JSON (other ChunkConfig options for every node, e.g.
// '{"rechokeInterval":1000}'), --baseline DIR (another checkout of this repository, built: its
// swarm runs as extra rows of every plain-seeder strategy, rounds interleaved with this one's;
// printed, not saved).
import { randomFillSync } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { runCodioSwarm } from './swarm-run.mjs'
import { MiB, list, median, tableRows } from './stats.mjs'
import { saveResults } from './results.mjs'
import { distributionTargets, reportTargets } from './targets.mjs'
import { scratchDir } from './fixtures.mjs'
import { createTorrent, ensureLibtorrent, swarm as libtorrentSwarm } from './libtorrent/libtorrent.mjs'

const SCENARIO = 'distribution'
const { values } = parseArgs({
  args: process.argv.slice(2).filter(a => a !== '--'),
  strict: false,
  options: {
    quick: { type: 'boolean', default: false },
    'dist-size': { type: 'string' },
    peers: { type: 'string' },
    cap: { type: 'string' },
    strategies: { type: 'string' },
    runs: { type: 'string' },
    'sequential-runs': { type: 'string', default: '1' },
    'super-seed': { type: 'string', default: 'both' },
    workers: { type: 'string' },
    'worker-sweep': { type: 'string' },
    compare: { type: 'boolean', default: false },
    'lt-n': { type: 'string', default: '8' },
    'lt-profiles': { type: 'string', default: 'default' },
    config: { type: 'string' },
    baseline: { type: 'string' }
  }
})
const quick = values.quick
const size = Number(values['dist-size'] ?? (quick ? 8 : 64)) * MiB
const peerCounts = list(values.peers ?? (quick ? '8' : '8,32'), true)
const cap = Number(values.cap ?? (quick ? 4 : 8)) * MiB
const strategies = list(values.strategies ?? (quick ? 'rarest-first,random' : 'rarest-first,random,sequential'))
const runs = Number(values.runs ?? (quick ? 1 : 3))
const sweep = values.workers !== undefined ? [] : list(values['worker-sweep'] ?? (quick ? '' : '1,2,4'), true)
const nodeConfig = values.config === undefined ? {} : JSON.parse(values.config)
const superSeedMode = values['super-seed']
if (!['both', 'off', 'only'].includes(superSeedMode)) throw new Error(`--super-seed must be both, off or only, got ${superSeedMode}`)
const log = (line = '') => process.stdout.write(line + '\n')

/** The fluid-model bounds for N peers, with every upload `u` and no download cap (d_min = ∞). */
function bounds (n, fileBytes, u) {
  const tMin = Math.max(fileBytes / u, 0, (n * fileBytes) / (u + n * u))
  return { tMin, clientServer: (n * fileBytes) / u }
}

async function main () {
  // The baseline's own swarm runner, so that its seeder and workers run its own built packages.
  const baseline = values.baseline === undefined ? undefined : await import(pathToFileURL(join(resolve(values.baseline), 'benchmarks', 'src', 'swarm-run.mjs')).href)
  const content = randomFillSync(new Uint8Array(size))
  log(`1 seeder + N peers, ${size / MiB} MiB, every node's upload capped at ${cap / MiB} MiB/s (no download cap, so F/d_min = 0), all peers start together, TCP on loopback.`)
  // 2 and 4 were about equally fast on the project's 2-core machine at N = 32, 1 slower (see the
  // README); 4 keeps each process furthest from CPU-bound. The sweep re-measures it.
  let workers = Number(values.workers ?? 4)
  const sweepRows = []
  if (sweep.length > 0) {
    // Rounds interleaved, so that a change of load on the shared machine hits every count alike.
    const n = Math.max(...peerCounts)
    const times = new Map(sweep.map(w => [w, []]))
    const cpu = new Map(sweep.map(w => [w, []]))
    for (let r = 0; r < runs; r++) {
      for (const w of sweep) {
        const x = await runCodioSwarm({ content, peers: n, workers: w, strategy: 'rarest-first', uploadLimit: cap, seed: 1 + r * 7919, config: nodeConfig })
        times.get(w).push(x.seconds)
        cpu.get(w).push(Math.max(x.busiestWorkerCpuSeconds, x.seederCpuSeconds) / x.seconds)
        log(`  ${w} worker process(es), N = ${n}, rarest-first, round ${r + 1}: ${x.seconds.toFixed(2)} s`)
      }
    }
    for (const w of sweep) sweepRows.push({ workers: w, peers: n, 'T s': median(times.get(w)), 'busiest process CPU': median(cpu.get(w)) })
    workers = sweepRows.reduce((best, r) => r['T s'] < best['T s'] ? r : best).workers
    log(`Fastest: ${workers} worker process(es) for the peers (plus the seeder's, median of ${runs}); the strategy runs below use it.`)
  }
  const rows = []
  for (const n of peerCounts) {
    const { tMin, clientServer } = bounds(n, size, cap)
    // Every row of this N; the same config goes to the seeder and the peers (runCodioSwarm), and
    // `superSeed` only changes the seeder: peers never hold the whole content when they register it.
    const variants = []
    for (const strategy of strategies) {
      const superSeedToo = strategy !== 'sequential' && superSeedMode !== 'off'
      if (superSeedMode !== 'only' || !superSeedToo) variants.push({ strategy, superSeed: false, results: [] })
      if (superSeedToo) variants.push({ strategy, superSeed: true, results: [] })
      // The baseline runs before this checkout in every other round, so neither gains from going first.
      if (baseline !== undefined && superSeedMode !== 'only') variants.push({ strategy, superSeed: false, results: [], run: baseline.runCodioSwarm })
    }
    const runsOf = (v) => v.strategy === 'sequential' ? Math.min(runs, Number(values['sequential-runs'])) : runs
    for (let r = 0; r < runs; r++) {
      for (const v of r % 2 === 1 ? [...variants].reverse() : variants) {
        if (r >= runsOf(v)) continue
        const config = v.superSeed ? { ...nodeConfig, superSeed: true } : nodeConfig
        v.results.push(await (v.run ?? runCodioSwarm)({ content, peers: n, workers, strategy: v.strategy, uploadLimit: cap, seed: 1 + r * 7919, config }))
      }
    }
    for (const v of variants) {
      const T = median(v.results.map(x => x.seconds))
      const name = `codio-chunk ${v.strategy}${v.superSeed ? ' + super-seed' : ''}${v.run !== undefined ? ' (baseline)' : ''}`
      rows.push(row(name, v.run !== undefined ? 'baseline' : 'ours', n, T, tMin, clientServer, v.results))
      log(`N = ${n}, ${v.strategy}${v.superSeed ? ', super-seeding seeder' : ''}${v.run !== undefined ? ' (baseline)' : ''}: ${T.toFixed(2)} s (T_min ${tMin.toFixed(2)} s, median of ${v.results.length}), seeder sent ${median(v.results.map(x => x.seederUploadedBytes / size)).toFixed(2)} copies, ${median(v.results.map(x => x.duplicatesBeforeFullCopy)).toFixed(0)} duplicates before its first full copy (at ${median(v.results.map(x => x.fullCopySeconds)).toFixed(2)} s)`)
    }
  }
  let ltVersion
  if (values.compare) {
    ltVersion = ensureLibtorrent({ log })
    const dir = scratchDir('codio-bench-swarm-')
    const seedPath = join(dir, 'seed')
    mkdirSync(seedPath)
    writeFileSync(join(seedPath, 'content.bin'), content)
    const torrent = join(dir, 'content.torrent')
    await createTorrent(join(seedPath, 'content.bin'), torrent, 256 * 1024, 'v1')
    const n = Number(values['lt-n'])
    const { tMin, clientServer } = bounds(n, size, cap)
    for (const profile of list(values['lt-profiles'])) {
      const results = []
      for (let r = 0; r < runs; r++) {
        const workDir = join(dir, `run-${r}`)
        mkdirSync(workDir)
        results.push(await libtorrentSwarm({ torrent, seedPath, workDir, n, uploadLimit: cap, profile }))
        rmSync(workDir, { recursive: true, force: true })
      }
      const T = median(results.map(x => x.seconds))
      rows.push(row(`libtorrent ${ltVersion.replace(/\.0$/, '')} ${profile}`, 'comparison', n, T, tMin, clientServer, results.map(x => ({ ...x, workerCpuSeconds: x.cpuSeconds, busiestWorkerCpuSeconds: x.cpuSeconds, seederCpuSeconds: 0, seederUploadedBytes: NaN, peersUploadedBytes: NaN }))))
      log(`N = ${n}, libtorrent ${profile}: ${T.toFixed(2)} s (T_min ${tMin.toFixed(2)} s, median of ${runs})`)
    }
  }
  log(`\nTime until the last peer finished (median of ${runs}); T_min = max(F/u_s, F/d_min, N·F/(u_s + Σu_i)); efficiency = T_min / T:`)
  console.table(tableRows(rows.map(({ kind, ...r }) => r)))
  for (const lt of rows.filter(r => r.kind === 'comparison')) {
    const ours = rows.find(r => r.N === lt.N && r.system === 'codio-chunk rarest-first')
    if (ours !== undefined) log(`codio-chunk rarest-first ÷ ${lt.system}, N = ${lt.N}: the last peer finished ${(lt['T s'] / ours['T s']).toFixed(2)}x sooner (efficiency ${ours.efficiency.toFixed(2)} vs ${lt.efficiency.toFixed(2)})`)
  }
  for (const base of rows.filter(r => r.kind === 'baseline')) {
    const ours = rows.find(r => r.N === base.N && r.system === base.system.replace(' (baseline)', ''))
    // Not a target: how this checkout compares with the one given by --baseline, rounds interleaved.
    if (ours !== undefined) log(`This checkout ÷ the baseline (${values.baseline}), ${ours.system}, N = ${base.N}: T ${ours['T s'].toFixed(2)} s vs ${base['T s'].toFixed(2)} s (${(ours['T s'] / base['T s']).toFixed(2)}), efficiency ${ours.efficiency.toFixed(2)} vs ${base.efficiency.toFixed(2)}`)
  }
  if (sweepRows.length > 0) {
    log(`Worker processes hosting the peers (rarest-first, median of ${runs} interleaved rounds; the seeder runs in the main process):`)
    console.table(tableRows(sweepRows))
  }
  const saved = rows.filter(r => r.kind !== 'baseline')
  saveResults(SCENARIO, { size, uploadLimit: cap, runs, workers, libtorrent: ltVersion ?? null, rows: saved, workerSweep: sweepRows })
  const targets = distributionTargets(saved, peerCounts, { quick })
  reportTargets(SCENARIO, targets, { write: log })
}

function row (system, kind, n, T, tMin, clientServer, results) {
  return {
    system,
    kind,
    N: n,
    'T s': T,
    'T_min s': tMin,
    'client-server s': clientServer,
    efficiency: tMin / T,
    'first peer done s': median(results.map(x => Math.min(...x.finish))),
    // Share of the upload capacity used until T: where it is low, the uploads, not the caps, set T.
    'seeder upload use': median(results.map(x => x.seederUploadedBytes / (cap * x.seconds))),
    // T_min = F/u_s assumes the seeder sends each byte once; more copies cost time at the bound.
    'seeder copies sent': median(results.map(x => x.seederUploadedBytes / size)),
    // Chunks the seeder sent again before it had sent every chunk once: each one delays the last
    // never-sent chunk, hence the whole swarm, by a chunk's upload time. Later copies cost nothing.
    'seeder dups before full copy': median(results.map(x => x.duplicatesBeforeFullCopy ?? NaN)),
    'seeder full copy s': median(results.map(x => x.fullCopySeconds ?? NaN)),
    'peers upload use': median(results.map(x => x.peersUploadedBytes / (n * cap * x.seconds))),
    'CPU s (all nodes)': median(results.map(x => x.workerCpuSeconds + x.seederCpuSeconds)),
    'busiest process CPU': median(results.map(x => Math.max(x.busiestWorkerCpuSeconds, x.seederCpuSeconds) / x.seconds))
  }
}

await main()
