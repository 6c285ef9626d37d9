#!/usr/bin/env node
// `pnpm fuzz`: runs every fuzz target (tests/fuzz/test/*.fuzz.test.ts) for as long as asked.
//
//   pnpm fuzz                         60 s per target
//   pnpm fuzz -- --seconds 600        10 min per target
//   pnpm fuzz -- --only frame         the targets whose file name contains "frame"
//   pnpm fuzz -- --runs 1000000 --seconds 7200
//                                     each target until it has run 10^6 inputs (or 2 h)
//
// A failing input is kept in tests/fuzz/corpus/<target>.json and replayed first on every later
// run, CI's included, so it stays a regression case once found. The inputs each target ran are
// summed in tests/fuzz/test-results/fuzz-runs.json.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const fuzzDir = join(root, 'tests', 'fuzz')
const { values } = parseArgs({
  args: process.argv.slice(2).filter(a => a !== '--'),
  options: { seconds: { type: 'string', default: '60' }, runs: { type: 'string' }, only: { type: 'string' }, keep: { type: 'boolean', default: false } }
})
const seconds = Number(values.seconds)
if (!(seconds > 0)) {
  process.stderr.write(`--seconds takes a positive number, got ${values.seconds}\n`)
  process.exit(2)
}
const runs = values.runs === undefined ? undefined : Number(values.runs)
if (runs !== undefined && !(Number.isSafeInteger(runs) && runs > 0)) {
  process.stderr.write(`--runs takes a positive whole number, got ${values.runs}\n`)
  process.exit(2)
}
const results = join(fuzzDir, 'test-results', 'fuzz-runs.json')
if (!values.keep) rmSync(results, { force: true })
const filter = values.only === undefined ? [] : [values.only]
process.stdout.write(`fuzzing each target for ${seconds} s${runs === undefined ? '' : ` or ${runs} inputs, whichever comes first`}${values.only === undefined ? '' : ` (targets matching "${values.only}")`}\n`)
const run = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...filter], {
  cwd: fuzzDir,
  stdio: 'inherit',
  env: { ...process.env, CODIO_FUZZ_SECONDS: String(seconds), ...(runs === undefined ? {} : { CODIO_FUZZ_RUNS: String(runs) }) }
})
if (existsSync(results)) {
  const counts = JSON.parse(readFileSync(results, 'utf8'))
  process.stdout.write('\ninputs per target:\n')
  for (const [target, { runs, seconds: s }] of Object.entries(counts)) {
    process.stdout.write(`  ${target.padEnd(32)} ${String(runs).padStart(12)} inputs in ${s.toFixed(0)} s\n`)
  }
}
process.exit(run.status ?? 1)
