#!/usr/bin/env node
// `pnpm bench`: runs every benchmark scenario in turn, each in its own process, forwarding the
// command line (e.g. `pnpm bench -- --size 64`). `--only name[,name]` runs some of them, `--quick`
// a short run of each (under two minutes in all), `--compare` adds the libtorrent comparison peers.
// Results are merged into results/latest.json (one entry per scenario) and drawn as SVG charts in
// results/ (see figures.mjs). See benchmarks/README.md.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { loadavg, cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LATEST, RESULTS_DIR, adoptWholeFileWrite, readResults, updateResults } from './results.mjs'
import { drawCharts } from './figures.mjs'

const here = dirname(fileURLToPath(import.meta.url))

/**
 * Scenarios in run order. A scenario is listed once its script exists. `file`: a results file of
 * its own, merged into latest.json under its name after it runs. `quick`: flags put before the
 * command line under `--quick`, for scripts that do not read `--quick` themselves (the command
 * line still wins).
 */
const SCENARIOS = [
  { name: 'micro', script: 'micro.mjs' },
  { name: 'hashing', script: 'hashing.mjs', file: 'hashing.json' },
  { name: 'swarm', script: 'swarm-throughput.mjs', quick: ['--size', '32', '--runs', '1'] },
  { name: 'compare', script: 'compare-throughput.mjs' },
  { name: 'cold', script: 'cold-start.mjs' },
  { name: 'transport', script: 'transport-throughput.mjs', file: 'transport-latest.json', quick: ['--runs', '1', '--mib', '32', '--seconds', '2'] },
  { name: 'rate-limit', script: 'rate-limit.mjs' },
  { name: 'distribution', script: 'swarm-distribution.mjs' },
  { name: 'fairness', script: 'fairness.mjs' },
  { name: 'rss', script: 'rss.mjs' },
  { name: 'discovery', script: 'discovery.mjs' },
  { name: 'browser', script: 'browser.mjs', quick: ['--quick'] },
  { name: 'gateway', script: 'gateway.mjs' }
]

const args = process.argv.slice(2).filter(a => a !== '--')
const onlyAt = args.indexOf('--only')
const only = onlyAt === -1 ? undefined : new Set((args[onlyAt + 1] ?? '').split(','))
const forwarded = onlyAt === -1 ? args : [...args.slice(0, onlyAt), ...args.slice(onlyAt + 2)]
const quick = forwarded.includes('--quick')
if (only !== undefined) {
  const unknown = [...only].filter(name => !SCENARIOS.some(s => s.name === name))
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}; scenarios: ${SCENARIOS.map(s => s.name).join(', ')}\n`)
    process.exit(2)
  }
}

const say = (line) => process.stdout.write(line + '\n')
const load = () => loadavg().map(x => x.toFixed(2)).join(' ')
say(`codio-chunk benchmarks: Node ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), load average ${load()}${quick ? ', --quick' : ''}`)

// A --quick run must not replace the results of a full run (the README's charts are drawn from
// them): the results folder is put back afterwards and the quick results kept in quick.json.
const snapshot = quick ? snapshotResults() : undefined

const started = performance.now()
const durations = {}
let failed = 0
for (const scenario of SCENARIOS) {
  if (only !== undefined && !only.has(scenario.name)) continue
  const path = join(here, scenario.script)
  if (!existsSync(path)) continue
  say(`\n=== ${scenario.name} === (load average ${load()})`)
  const before = readResults()
  const t0 = performance.now()
  const wallStart = Date.now()
  const extra = quick && scenario.quick !== undefined ? scenario.quick : []
  const result = spawnSync(process.execPath, [path, ...extra, ...forwarded], { stdio: 'inherit' })
  durations[scenario.name] = (performance.now() - t0) / 1000
  if (result.status !== 0) {
    process.stderr.write(`${scenario.name} failed (exit ${result.status ?? result.signal})\n`)
    failed++
  }
  adoptWholeFileWrite(scenario.name, before)
  if (scenario.file !== undefined) mergeOwnFile(scenario, wallStart)
  updateResults(scenario.name, { seconds: durations[scenario.name], loadAverage: loadavg()[0] })
}

/** Copies a scenario's own results file into latest.json if this run wrote it. */
function mergeOwnFile (scenario, since) {
  const file = join(RESULTS_DIR, scenario.file)
  if (!existsSync(file) || statSync(file).mtimeMs < since) return
  try {
    updateResults(scenario.name, JSON.parse(readFileSync(file, 'utf8')))
  } catch (err) {
    process.stderr.write(`could not merge ${file}: ${err.message}\n`)
  }
}

let resultsFile = 'benchmarks/results/latest.json'
if (snapshot !== undefined) {
  const quickResults = readFileSync(LATEST)
  restoreResults(snapshot)
  writeFileSync(join(RESULTS_DIR, 'quick.json'), quickResults)
  resultsFile = 'benchmarks/results/quick.json (latest.json and the charts keep the last full run)'
} else {
  try {
    for (const path of drawCharts()) say(`chart: ${path}`)
  } catch (err) {
    process.stderr.write(`could not draw the charts: ${err.message}\n`)
    failed++
  }
}
const total = (performance.now() - started) / 1000
say(`\nDone in ${total.toFixed(0)} s (${Object.entries(durations).map(([n, s]) => `${n} ${s.toFixed(0)} s`).join(', ')}). Results: ${resultsFile}`)

/** The results folder's files and their contents. */
function snapshotResults () {
  const files = new Map()
  for (const name of readdirSync(RESULTS_DIR)) {
    const path = join(RESULTS_DIR, name)
    if (statSync(path).isFile()) files.set(name, readFileSync(path))
  }
  return files
}

/** Puts the results folder back as it was: files written since are removed, the others restored. */
function restoreResults (files) {
  for (const name of readdirSync(RESULTS_DIR)) {
    const path = join(RESULTS_DIR, name)
    if (statSync(path).isFile() && !files.has(name)) rmSync(path)
  }
  for (const [name, bytes] of files) writeFileSync(join(RESULTS_DIR, name), bytes)
}
process.exitCode = failed > 0 ? 1 : 0
