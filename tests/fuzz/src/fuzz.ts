// The fuzz harness: a target is a property over random inputs (fast-check) that must hold for
// every input: the parser either accepts the input or refuses it with one of the project's named
// errors, never crashes with anything else, never hangs and never allocates without bound.
//
// Budget: CODIO_FUZZ_SECONDS per target (default 3, what CI runs); `pnpm fuzz -- --seconds 600`
// runs longer, and CODIO_FUZZ_RUNS (`pnpm fuzz -- --runs 1000000`) ends a target once it has run
// that many inputs, whichever comes first. Every failing input fast-check finds (shrunk) is kept
// in corpus/<target>.json and replayed first on every later run, so a crash found once stays a
// regression case. Each run adds its count of inputs to test-results/fuzz-runs.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const corpusDir = join(root, 'corpus')
const resultsFile = join(root, 'test-results', 'fuzz-runs.json')

/** A positive number from the environment variable `name`, else `fallback`. */
function positiveFromEnv (name: string, fallback: number): number {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}

/** Seconds each target runs for. */
export function fuzzSeconds (): number {
  return positiveFromEnv('CODIO_FUZZ_SECONDS', 3)
}

/** Inputs after which a target ends before its time budget (no bound unless CODIO_FUZZ_RUNS is set). */
export function fuzzRuns (): number {
  return Math.max(1, Math.min(Math.floor(positiveFromEnv('CODIO_FUZZ_RUNS', Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER))
}

/**
 * Starts a CPU clock for this process: the returned function gives the milliseconds of CPU (user
 * and system) spent since. Bounds on how long a parse may take are checked against CPU time, not
 * wall time, so a fuzz run sharing a busy machine (or run at low priority) does not fail a target
 * because the scheduler held it back.
 */
export function cpuClock (): () => number {
  const start = process.cpuUsage()
  return () => {
    const { user, system } = process.cpuUsage(start)
    return (user + system) / 1000
  }
}

/** JSON that keeps byte arrays (as `{ "$bytes": hex }`) and bigints. */
function encode (value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') }
    if (typeof v === 'bigint') return { $bigint: v.toString() }
    return v
  })
}

function decode (text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && '$bytes' in v) return new Uint8Array(Buffer.from(String((v as { $bytes: string }).$bytes), 'hex'))
    if (v !== null && typeof v === 'object' && '$bigint' in v) return BigInt((v as { $bigint: string }).$bigint)
    return v
  })
}

function corpusOf (target: string): unknown[] {
  const file = join(corpusDir, `${target}.json`)
  if (!existsSync(file)) return []
  const entries = decode(readFileSync(file, 'utf8'))
  return Array.isArray(entries) ? entries : []
}

function keep (target: string, input: unknown): void {
  mkdirSync(corpusDir, { recursive: true })
  const entries = corpusOf(target)
  entries.push(input)
  writeFileSync(join(corpusDir, `${target}.json`), encode(entries) + '\n')
}

function record (target: string, runs: number, seconds: number): void {
  mkdirSync(dirname(resultsFile), { recursive: true })
  let all: Record<string, { runs: number, seconds: number }> = {}
  try { all = JSON.parse(readFileSync(resultsFile, 'utf8')) } catch {}
  const before = all[target] ?? { runs: 0, seconds: 0 }
  all[target] = { runs: before.runs + runs, seconds: before.seconds + seconds }
  writeFileSync(resultsFile, JSON.stringify(all, null, 2) + '\n')
}

/** What a fuzz run did. */
export interface FuzzReport {
  runs: number
  seconds: number
}

/**
 * Runs `property` on inputs from `arbitrary` for the time budget (or up to the run count), corpus
 * first. Throws with the (shrunk) counterexample if the property fails for any input; the input
 * is then added to the corpus. The property fails by throwing (or rejecting) or by returning false.
 *
 * @example
 * ```ts
 * it('decodeFrame', async () => {
 *   await fuzz('decode-frame', fc.uint8Array({ maxLength: 512 }), (bytes) => { refusesOrDecodes(() => decodeFrame(bytes)) })
 * })
 * ```
 */
export async function fuzz<T> (target: string, arbitrary: fc.Arbitrary<T>, property: (input: T) => void | boolean | Promise<void | boolean>): Promise<FuzzReport> {
  const started = performance.now()
  const examples = corpusOf(target).map(input => [input as T] as [T])
  // The case started last. When the time budget ends, fast-check stops waiting for a running async
  // case (it races it against the deadline) and returns; the case would go on in the background,
  // still writing files or holding a store open while the test cleans up. It is awaited below.
  let last: { input: T, outcome: Promise<unknown> } | undefined
  const asyncProperty = fc.asyncProperty(arbitrary, async (input) => {
    const run = (async () => (await property(input)) !== false)()
    last = { input, outcome: run.then(passed => passed ? undefined : new Error('the property returned false'), (err: unknown) => err ?? new Error('the property threw nothing')) }
    return await run
  })
  const details = await fc.check(asyncProperty, {
    numRuns: fuzzRuns(),
    interruptAfterTimeLimit: fuzzSeconds() * 1000,
    markInterruptAsFailure: false,
    examples
  })
  const seconds = (performance.now() - started) / 1000
  let failed: { input: unknown, error: unknown } | undefined
  if (details.failed) failed = { input: details.counterexample?.[0], error: details.errorInstance ?? 'the property returned false' }
  else if (last !== undefined) {
    const lateError = await last.outcome
    if (lateError !== undefined) failed = { input: last.input, error: lateError }
  }
  record(target, details.numRuns, seconds)
  if (failed !== undefined) {
    keep(target, failed.input)
    const error = failed.error instanceof Error ? failed.error : new Error(String(failed.error))
    throw new Error(`fuzz target ${target} failed after ${details.numRuns} inputs on ${encode(failed.input).slice(0, 2000)}: ${error.message} (kept in corpus/${target}.json)`, { cause: error })
  }
  return { runs: details.numRuns, seconds }
}

/**
 * Runs `parse`; passes if it returns, or throws an error whose `name` is one of `allowed` (the
 * project's named errors a parser may refuse input with). Anything else (a TypeError, a bare
 * Error, a RangeError from deep inside a library) fails the property.
 */
export function refusesOnlyWith<T> (allowed: readonly string[], parse: () => T): T | undefined {
  try {
    return parse()
  } catch (err) {
    const name = (err as Error)?.name
    if (allowed.includes(name)) return undefined
    throw err
  }
}

/** The async form of {@link refusesOnlyWith}. */
export async function refusesOnlyWithAsync<T> (allowed: readonly string[], parse: () => Promise<T>): Promise<T | undefined> {
  try {
    return await parse()
  } catch (err) {
    const name = (err as Error)?.name
    if (allowed.includes(name)) return undefined
    throw err
  }
}

export { fc }
