#!/usr/bin/env node
// Runs a workspace task on a machine that has only Node.js and npm: uses pnpm 10 if it is installed,
// otherwise fetches it through npx; installs dependencies from the lockfile, builds what the task
// needs with nx, then runs it.
//
//   node scripts/workspace.mjs demo [codio-chunk demo options, e.g. --peers 8 --size 256MiB]
//   node scripts/workspace.mjs test
//
// It says on stderr what it is doing while it installs and builds (their own output is shown only
// when they fail).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const [task, ...rest] = process.argv.slice(2)
const env = { ...process.env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false', NX_TUI: 'false' }

function pnpmCommand () {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' })
  if (probe.status === 0 && Number(probe.stdout.trim().split('.')[0]) >= 10) return ['pnpm']
  note('pnpm 10 is not installed: fetching it through npx')
  return ['npx', '--yes', 'pnpm@10']
}

function run (command, args, options = {}) {
  const result = spawnSync(command[0], [...command.slice(1), ...args], { cwd: root, stdio: 'inherit', env, shell: process.platform === 'win32', ...options })
  if (result.status !== 0) {
    process.stderr.write(`\n${[...command, ...args].join(' ')} failed (exit ${result.status ?? result.signal})\n`)
    process.exit(result.status ?? 1)
  }
}

function note (line) {
  process.stderr.write(`${line}\n`)
}

function seconds (since) {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`
}

/**
 * Runs a step quietly, saying on stderr what it does and how long it took. Its own output is kept
 * and shown only if it fails, so errors stay visible.
 */
async function step (doing, done, command, args) {
  note(`${doing}…`)
  const started = performance.now()
  const output = []
  const code = await new Promise(resolve => {
    const child = spawn(command[0], [...command.slice(1), ...args], { cwd: root, env, shell: process.platform === 'win32', stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', chunk => output.push(chunk))
    child.stderr.on('data', chunk => output.push(chunk))
    child.on('error', err => { output.push(Buffer.from(`${err.message}\n`)); resolve(127) })
    child.on('close', (status, signal) => resolve(status ?? (signal === null ? 1 : 128)))
  })
  if (code === 0) {
    note(`${done} in ${seconds(started)}`)
    return { ok: true, code }
  }
  process.stderr.write(Buffer.concat(output))
  note(`\n${[...command, ...args].join(' ')} failed (exit ${code}) after ${seconds(started)}`)
  return { ok: false, code }
}

const pnpm = pnpmCommand()
const install = await step('installing dependencies with pnpm', 'installed dependencies', pnpm, ['install', '--frozen-lockfile', '--reporter=append-only'])
if (!install.ok) process.exit(install.code)

switch (task) {
  case 'demo':
    if (!(await step('building the codio-chunk CLI', 'built the codio-chunk CLI', pnpm, ['exec', 'nx', 'run', '@codio-chunk/cli:build', '--output-style=static'])).ok) process.exit(1)
    run(['node'], [join('packages', 'cli', 'dist', 'bin.js'), 'demo', ...rest.filter(arg => arg !== '--')])
    break
  case 'test': {
    for (const dir of testResultDirs()) rmSync(dir, { recursive: true, force: true })
    run(pnpm, ['exec', 'nx', 'run-many', '-t', 'build', 'typecheck', 'lint', 'test', '--output-style=stream', ...rest])
    summarise()
    break
  }
  default:
    process.stderr.write('usage: node scripts/workspace.mjs demo|test [args]\n')
    process.exit(2)
}

function projectDirs () {
  return ['packages', 'tests', 'examples'].flatMap(group => {
    const base = join(root, group)
    return existsSync(base) ? readdirSync(base).map(name => join(base, name)) : []
  })
}

function testResultDirs () {
  return projectDirs().map(dir => join(dir, 'test-results'))
}

/** Prints one closing line over every package's vitest results. */
function summarise () {
  let passed = 0
  let failed = 0
  let skipped = 0
  for (const dir of testResultDirs()) {
    const file = join(dir, 'vitest.json')
    if (!existsSync(file)) continue
    const report = JSON.parse(readFileSync(file, 'utf8'))
    passed += report.numPassedTests
    failed += report.numFailedTests
    skipped += report.numPendingTests + report.numTodoTests
  }
  process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  if (passed === 0 || failed > 0) process.exit(1)
}
