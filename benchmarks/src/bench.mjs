#!/usr/bin/env node
// `pnpm bench`: runs every benchmark scenario in turn, each in its own process, forwarding the
// command line (e.g. `pnpm bench -- --size 64`). `--only name[,name]` runs some of them.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/** Scenario name → script in this folder. A scenario is listed once its script exists. */
const SCENARIOS = [
  ['hashing', 'hashing.mjs'],
  ['swarm', 'swarm-throughput.mjs'],
  ['transport', 'transport-throughput.mjs']
]

const args = process.argv.slice(2).filter(a => a !== '--')
const onlyAt = args.indexOf('--only')
const only = onlyAt === -1 ? undefined : new Set((args[onlyAt + 1] ?? '').split(','))
const forwarded = onlyAt === -1 ? args : [...args.slice(0, onlyAt), ...args.slice(onlyAt + 2)]
if (only !== undefined) {
  const unknown = [...only].filter(name => !SCENARIOS.some(([n]) => n === name))
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}; scenarios: ${SCENARIOS.map(([n]) => n).join(', ')}\n`)
    process.exit(2)
  }
}

let failed = 0
for (const [name, script] of SCENARIOS) {
  if (only !== undefined && !only.has(name)) continue
  const path = join(here, script)
  if (!existsSync(path)) continue
  process.stdout.write(`\n=== ${name} ===\n`)
  const result = spawnSync(process.execPath, [path, ...forwarded], { stdio: 'inherit' })
  if (result.status !== 0) {
    process.stderr.write(`${name} failed (exit ${result.status ?? result.signal})\n`)
    failed++
  }
}
process.exitCode = failed > 0 ? 1 : 0
