#!/usr/bin/env node
// Runs a workspace task on a machine that has only Node.js and npm: uses pnpm 10 if it is installed,
// otherwise fetches it through npx; installs dependencies from the lockfile, builds what the task
// needs with nx, then runs it.
//
//   node scripts/workspace.mjs demo [codio-chunk demo options, e.g. --peers 8 --size 256MiB]
//   node scripts/workspace.mjs browser-demo [examples/browser/demo.mjs options, e.g. --size 64]
//   node scripts/workspace.mjs test [nx run-many options, e.g. --projects=@codio-chunk/cli]
//   node scripts/workspace.mjs summary    the closing line of `test` from the test results on disk
//
// `demo` says on stderr what it is doing while it installs and builds (their own output is shown
// only when they fail), then runs `codio-chunk demo`. `test` streams nx's output and always ends
// with one line, `tests: N passed, M failed, K skipped`, naming any build, typecheck, lint or test
// task that failed or did not run; it exits 1 if anything failed.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const [task, ...rest] = process.argv.slice(2)
const env = { ...process.env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false', NX_TUI: 'false' }
const windows = process.platform === 'win32'
/** How much of nx's output is kept for reading its closing summary. */
const TAIL = 256 * 1024

// ---- tasks ----

async function demo (args) {
  const pnpm = pnpmCommand()
  const install = await step('installing dependencies with pnpm', 'installed dependencies', pnpm, installArgs())
  if (!install.ok) process.exit(install.code)
  const build = await step('building the codio-chunk CLI', 'built the codio-chunk CLI', pnpm, ['exec', 'nx', 'run', '@codio-chunk/cli:build', '--output-style=static'])
  if (!build.ok) process.exit(build.code)
  const result = spawnSync('node', [join('packages', 'cli', 'dist', 'bin.js'), 'demo', ...args], { cwd: root, stdio: 'inherit', env, shell: windows })
  process.exit(result.status ?? 1)
}

async function browserDemo (args) {
  const pnpm = pnpmCommand()
  const install = await step('installing dependencies with pnpm', 'installed dependencies', pnpm, installArgs())
  if (!install.ok) process.exit(install.code)
  const build = await step('building the packages the demo nodes run on', 'built the packages', pnpm, ['exec', 'nx', 'run', '@codio-chunk/example-browser:build', '--output-style=static'])
  if (!build.ok) process.exit(build.code)
  const result = spawnSync('node', [join('examples', 'browser', 'demo.mjs'), ...args], { cwd: root, stdio: 'inherit', env, shell: windows })
  process.exit(result.status ?? 1)
}

async function test (nxArgs) {
  const pnpm = pnpmCommand()
  const install = await step('installing dependencies with pnpm', 'installed dependencies', pnpm, installArgs())
  if (!install.ok) {
    finish({ passed: 0, failed: 0, skipped: 0, unreadable: [] }, [`pnpm install failed (exit ${install.code})`])
    return
  }
  for (const dir of testResultDirs()) rmSync(dir, { recursive: true, force: true })
  const nx = await streamed(pnpm, ['exec', 'nx', 'run-many', '-t', 'build', 'typecheck', 'lint', 'test', '--output-style=stream', ...nxArgs])
  const problems = nx.code === 0 ? [] : taskProblems(nx.tail)
  if (nx.code !== 0 && problems.length === 0) problems.push(`nx failed (exit ${nx.code}); see its output above`)
  finish(testCounts(), problems)
}

// ---- pnpm and processes ----

function pnpmCommand () {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: windows })
  if (probe.status === 0 && Number(probe.stdout.trim().split('.')[0]) >= 10) return ['pnpm']
  note('pnpm 10 is not installed: fetching it through npx')
  return ['npx', '--yes', 'pnpm@10']
}

function installArgs () {
  return ['install', '--frozen-lockfile', '--reporter=append-only']
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
    const child = spawn(command[0], [...command.slice(1), ...args], { cwd: root, env, shell: windows, stdio: ['ignore', 'pipe', 'pipe'] })
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

/**
 * Runs a command with its output passed through as it comes (in colour when this is a terminal),
 * keeping the last part of it: nx ends with the tasks that failed or did not run.
 */
async function streamed (command, args) {
  const colour = process.stdout.isTTY && env.NO_COLOR === undefined && env.FORCE_COLOR === undefined ? { FORCE_COLOR: '1' } : {}
  let tail = ''
  const keep = chunk => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL)
  }
  const code = await new Promise(resolve => {
    const child = spawn(command[0], [...command.slice(1), ...args], { cwd: root, env: { ...env, ...colour }, shell: windows, stdio: ['inherit', 'pipe', 'pipe'] })
    child.stdout.on('data', chunk => { process.stdout.write(chunk); keep(chunk) })
    child.stderr.on('data', chunk => { process.stderr.write(chunk); keep(chunk) })
    child.on('error', err => { note(err.message); resolve(127) })
    child.on('close', (status, signal) => resolve(status ?? (signal === null ? 1 : 128)))
  })
  return { code, tail }
}

// ---- the closing line ----

/**
 * What went wrong, from nx's closing summary: `build failed in @codio-chunk/x`, `test not run in
 * @codio-chunk/y`. nx lists task ids (`project:target`) under "Failed tasks:" and under "Tasks not
 * run because their dependencies failed…".
 */
function taskProblems (output) {
  // eslint-disable-next-line no-control-regex
  const lines = output.replace(/\u001b\[[0-9;]*m/g, '').split(/\r?\n/)
  const failed = new Map()
  const notRun = new Map()
  let list
  for (const line of lines) {
    if (/^\s*Failed tasks:/.test(line)) list = failed
    else if (/^\s*Tasks (not run|stopped)/.test(line)) list = notRun
    else if (/^\s*NX\s/.test(line)) list = undefined
    const item = list === undefined ? null : /^\s*- (\S+):([^:\s]+)\s*$/.exec(line)
    if (item === null) continue
    const [, project, target] = item
    if (!list.has(target)) list.set(target, [])
    if (!list.get(target).includes(project)) list.get(target).push(project)
  }
  const inOrder = list => [...list].sort(([a], [b]) => targetRank(a) - targetRank(b))
  return [
    ...inOrder(failed).map(([target, projects]) => `${target} failed in ${projects.join(', ')}`),
    ...inOrder(notRun).map(([target, projects]) => `${target} not run in ${projects.join(', ')}`)
  ]
}

/** Targets in the order they run: build, typecheck, lint, test, then any other. */
function targetRank (target) {
  const rank = ['build', 'typecheck', 'lint', 'test'].indexOf(target)
  return rank === -1 ? 4 : rank
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

/** Test counts summed over every package's vitest results (test-results/vitest.json). */
function testCounts () {
  const counts = { passed: 0, failed: 0, skipped: 0, unreadable: [] }
  for (const dir of testResultDirs()) {
    const file = join(dir, 'vitest.json')
    if (!existsSync(file)) continue
    let report
    try {
      report = JSON.parse(readFileSync(file, 'utf8'))
    } catch {
      counts.unreadable.push(relative(root, file))
      continue
    }
    counts.passed += report.numPassedTests ?? 0
    counts.failed += report.numFailedTests ?? 0
    counts.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
  }
  return counts
}

/**
 * Prints the closing line and sets the exit code: 1 if a test or task failed, or no test passed.
 * (The process then ends by itself, after everything written has been flushed.)
 */
function finish ({ passed, failed, skipped, unreadable }, problems) {
  const all = [...problems, ...(unreadable.length === 0 ? [] : [`unreadable results in ${unreadable.join(', ')}`])]
  process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped${all.map(p => `; ${p}`).join('')}\n`)
  process.exitCode = passed === 0 || failed > 0 || all.length > 0 ? 1 : 0
}

// ---- main ----

switch (task) {
  case 'demo':
    await demo(rest.filter(arg => arg !== '--'))
    break
  case 'browser-demo':
    await browserDemo(rest.filter(arg => arg !== '--'))
    break
  case 'test':
    await test(rest)
    break
  case 'summary':
    finish(testCounts(), [])
    break
  default:
    process.stderr.write('usage: node scripts/workspace.mjs demo|browser-demo|test|summary [args]\n')
    process.exit(2)
}
