// The results file of `pnpm bench`: results/latest.json holds one object keyed by scenario name
// (`{ "micro": {...}, "swarm-distribution": {...} }`), so scenarios that run in separate processes
// each replace only their own entry. Writes go through a temporary file and a rename, so a reader
// never sees half a file.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The folder of results/latest.json and the charts. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results')
/** The merged results file. */
export const LATEST = join(RESULTS_DIR, 'latest.json')

const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value)

/**
 * True if `data` is keyed by scenario (every top-level value is an object). A scenario that still
 * writes the whole file (`{ date, rows, … }`) leaves a file that is not.
 */
export function isKeyedByScenario (data) {
  return isPlainObject(data) && Object.values(data).every(isPlainObject)
}

/** Reads results/latest.json as it is (undefined if it is missing or not JSON). */
export function readRaw (path = LATEST) {
  if (!existsSync(path)) return undefined
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return undefined
  }
}

/**
 * The merged results, keyed by scenario. A file in the older single-scenario shape is returned
 * under `legacyName` (default `swarm`, the scenario that wrote it).
 *
 * @example
 * const all = readResults()
 * all.micro?.picks
 */
export function readResults (path = LATEST, legacyName = 'swarm') {
  const data = readRaw(path)
  if (data === undefined) return {}
  return isKeyedByScenario(data) ? data : { [legacyName]: data }
}

/**
 * Replaces one scenario's entry of results/latest.json (read, modify, write), stamping it with the
 * date and Node version. Returns the merged object.
 *
 * @example
 * saveResults('micro', { picks: [...] })
 */
export function saveResults (scenario, data, path = LATEST) {
  const merged = readResults(path)
  merged[scenario] = { date: new Date().toISOString(), node: process.version, ...data }
  writeResults(merged, path)
  return merged
}

/** Merges `fields` into one scenario's entry, keeping what it has (e.g. to add `targets`). */
export function updateResults (scenario, fields, path = LATEST) {
  const merged = readResults(path)
  merged[scenario] = { ...(merged[scenario] ?? {}), ...fields }
  writeResults(merged, path)
  return merged
}

/** Writes the whole merged object atomically. */
export function writeResults (merged, path = LATEST) {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(merged, null, 2) + '\n')
  renameSync(tmp, path)
}

/**
 * After a scenario that writes the whole file in its own shape has run: if latest.json is no longer
 * keyed by scenario, put what it wrote under `scenario` and restore the other entries from
 * `before` (the merged results read before it ran). Returns true if it had to.
 *
 * @example
 * const before = readResults()
 * // … run the scenario …
 * adoptWholeFileWrite('swarm', before)
 */
export function adoptWholeFileWrite (scenario, before, path = LATEST) {
  const data = readRaw(path)
  if (data === undefined || isKeyedByScenario(data)) return false
  writeResults({ ...before, [scenario]: data }, path)
  return true
}
