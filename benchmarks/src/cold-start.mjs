// Scenario `cold`: what a fresh process costs. Every `codio-chunk get` is a new process, so a
// download's first run in a process is the one users see. One seeder (memory storage, in another
// process, warmed by an untimed download first) serves a random content (256 MiB) over TCP on
// loopback; the downloader (memory storage) fetches it
// - cold: once per fresh process, `--runs` processes (5);
// - warm: `--runs` more times in one process, after a first untimed download there.
// Prints MiB/s, downloader CPU s and page faults of the download itself (from download() to its
// end), and for cold runs also the whole process (start-up and imports included); medians.
//
// Options: --cold-size MiB (256; --quick 32), --runs N (5; --quick 2), --profile (write V8 CPU
// profiles of a cold download and of a warm one to the scratch folder and print where each spends
// its main thread).
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { spawnJsonLines } from './child.mjs'
import { scratchDir } from './fixtures.mjs'
import { GiB, MiB, median, tableRows } from './stats.mjs'
import { saveResults } from './results.mjs'
import { formatProfile, summariseProfile } from './cpu-profile.mjs'
import { check, reportTargets } from './targets.mjs'

const SCENARIO = 'cold'
const CHUNK = 256 * 1024
const here = fileURLToPath(new URL('.', import.meta.url))
const { values } = parseArgs({
  args: process.argv.slice(2).filter(a => a !== '--'),
  strict: false,
  options: {
    quick: { type: 'boolean', default: false },
    'cold-size': { type: 'string' },
    runs: { type: 'string' },
    profile: { type: 'boolean', default: false }
  }
})
const size = Number(values['cold-size'] ?? (values.quick ? 32 : 256)) * MiB
const runs = Number(values.runs ?? (values.quick ? 2 : 5))
const log = (line = '') => process.stdout.write(line + '\n')

/** The memory-storage seeder of the swarm scenario, in its own process. */
async function startSeeder () {
  const child = fork(join(here, 'seeders.mjs'), ['1', String(size), String(CHUNK)], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'] })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const ready = JSON.parse((await lines.next()).value)
  return { ...ready, async stop () { child.stdin.write('stop\n'); await lines.next() } }
}

/** Runs mem-downloader.mjs once with `arg`; resolves with its per-download lines and its totals. */
async function downloader (arg) {
  const spawned = performance.now()
  const child = spawnJsonLines(process.execPath, [join(here, 'mem-downloader.mjs'), JSON.stringify(arg)], { name: 'memory downloader' })
  const downloads = []
  for (let i = 0; i < (arg.repeat ?? 1); i++) {
    const line = await child.next(300_000, `download ${i}`)
    if (line.bytes !== size) throw new Error(`the downloader got ${line.bytes} bytes, expected ${size}`)
    downloads.push(line)
  }
  const totals = await child.next(60_000, 'totals')
  await child.exited()
  return { downloads, totals, wallSeconds: (performance.now() - spawned) / 1000 }
}

const row = (name, xs) => ({
  downloads: name,
  'MiB/s': median(xs.map(x => size / MiB / x.seconds)),
  'download CPU s/GiB': median(xs.map(x => x.cpuSeconds * GiB / size)),
  'download system s/GiB': median(xs.map(x => x.cpuSystem * GiB / size)),
  'minor page faults': median(xs.map(x => x.minorFaults))
})

async function main () {
  log(`One downloader, ${size / MiB} MiB, ${CHUNK / 1024} KiB chunks, memory storage on both sides, TCP on loopback, one seeder in another process (warmed by an untimed download first).`)
  const seeder = await startSeeder()
  const work = scratchDir()
  try {
    const addresses = seeder.addresses
    const cid = seeder.cid
    await downloader({ cid, addresses }) // warms the seeder
    const cold = []
    const processes = []
    let warm = []
    // Interleaved: a fresh process, then one warm download, so load changes hit both alike.
    const warmProcess = spawnJsonLines(process.execPath, [join(here, 'mem-downloader.mjs'), JSON.stringify({ cid, addresses, repeat: runs + 1 })], { name: 'warm downloader' })
    const first = await warmProcess.next(300_000, 'the warm process\'s first download')
    if (first.bytes !== size) throw new Error(`the warm downloader got ${first.bytes} bytes, expected ${size}`)
    for (let r = 0; r < runs; r++) {
      const fresh = await downloader({ cid, addresses })
      cold.push(fresh.downloads[0])
      processes.push(fresh)
      const line = await warmProcess.next(300_000, `warm download ${r + 1}`)
      if (line.bytes !== size) throw new Error(`the warm downloader got ${line.bytes} bytes, expected ${size}`)
      warm.push(line)
    }
    await warmProcess.next(60_000, 'totals')
    await warmProcess.exited()
    warm = warm.slice(0, runs)
    const rows = [row('cold: first in a fresh process', cold), row('warm: later ones in one process', warm)]
    const whole = {
      'process wall s (spawn to exit)': median(processes.map(p => p.wallSeconds)),
      'process CPU s (start-up and imports included)': median(processes.map(p => p.totals.processCpuSeconds)),
      'fresh process peak RSS MiB': median(processes.map(p => p.totals.maxRssKiB / 1024))
    }
    log(`\nMedians of ${runs}:`)
    console.table(tableRows(rows))
    log(`Fresh processes, whole: ${Object.entries(whole).map(([k, v]) => `${k} ${v.toFixed(2)}`).join('; ')}`)
    const ratio = rows[0]['MiB/s'] / rows[1]['MiB/s']
    log(`Cold ÷ warm rate: ${ratio.toFixed(2)}`)
    let profile = null
    if (values.profile) profile = await profiles(cid, addresses, work)
    saveResults(SCENARIO, { size, chunkSize: CHUNK, runs, rows, whole, coldOverWarm: ratio, profile })
    reportTargets(SCENARIO, [check(`cold rate at least 80% of the warm rate, ${size / MiB} MiB`, ratio >= 0.8, `cold ÷ warm = ${ratio.toFixed(2)}`)], { write: log })
  } finally {
    await seeder.stop()
  }
}

/** Profiles of the first download of a fresh process and of the second one in another. */
async function profiles (cid, addresses, work) {
  const coldPath = join(work, 'cold.cpuprofile')
  const warmPath = join(work, 'warm.cpuprofile')
  await downloader({ cid, addresses, profile: { path: coldPath, run: 0 } })
  await downloader({ cid, addresses, repeat: 2, profile: { path: warmPath, run: 1 } })
  const cold = summariseProfile(JSON.parse(readFileSync(coldPath, 'utf8')))
  const warm = summariseProfile(JSON.parse(readFileSync(warmPath, 'utf8')))
  for (const line of [...formatProfile(cold, 'Cold download (profiled)'), ...formatProfile(warm, 'Warm download (profiled)')]) log(line)
  log(`Profiles: ${coldPath}, ${warmPath}`)
  return { cold, warm }
}

await main()
