import { randomBytes } from 'node:crypto'
import { rename, rm, writeFile } from 'node:fs/promises'
import { dataDirPaths, isRunning } from '../data-dir.js'
import { readBounded } from '../read-bounded.js'

/**
 * Where a running `serve` takes requests from other `codio-chunk` processes on its data dir: its
 * loopback control URL and the secret a request must carry. The file is readable only by its
 * owner (mode 0600, in the data dir made with mode 0700), so only the user who runs the node (and
 * root) can use the endpoint.
 */
export interface ControlRecord {
  /** The pid of the `serve` process. */
  pid: number
  /** `http://127.0.0.1:<port>`. */
  url: string
  /** Sent as `Authorization: Bearer <token>`. */
  token: string
}

/** Largest control file read (a few hundred bytes are expected). */
const MAX_CONTROL_FILE = 4096

/** A new random control token (256 bits, hex). */
export function newControlToken (): string {
  return randomBytes(32).toString('hex')
}

/**
 * Records the control endpoint in the data dir (atomically: a temporary file renamed into place,
 * created with mode 0600).
 */
export async function writeControlFile (dataDir: string, record: ControlRecord): Promise<void> {
  const path = dataDirPaths(dataDir).control
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(temporary, JSON.stringify(record) + '\n', { mode: 0o600, flag: 'wx' })
    await rename(temporary, path)
  } finally {
    await rm(temporary, { force: true }).catch(() => {})
  }
}

/** Removes the control file if it is still the one with this token. */
export async function removeControlFile (dataDir: string, token: string): Promise<void> {
  const record = await readControlFile(dataDir)
  if (record?.token === token) await rm(dataDirPaths(dataDir).control, { force: true })
}

/** The control file's record, or undefined if there is none or it cannot be read as one. */
export async function readControlFile (dataDir: string): Promise<ControlRecord | undefined> {
  let bytes: Buffer
  try {
    bytes = await readBounded(dataDirPaths(dataDir).control, MAX_CONTROL_FILE)
  } catch {
    return undefined
  }
  if (bytes.length > MAX_CONTROL_FILE) return undefined
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as Partial<ControlRecord> | null
    if (typeof parsed?.pid !== 'number' || !Number.isSafeInteger(parsed.pid) || parsed.pid <= 0) return undefined
    if (typeof parsed.url !== 'string' || !/^http:\/\/127\.0\.0\.1:\d{1,5}$/.test(parsed.url)) return undefined
    if (typeof parsed.token !== 'string' || !/^[0-9a-f]{64}$/.test(parsed.token)) return undefined
    return { pid: parsed.pid, url: parsed.url, token: parsed.token }
  } catch {
    return undefined
  }
}

/**
 * The control endpoint of the `serve` running on this data dir, or undefined if none runs (no
 * control file, or one left by a process that is gone).
 *
 * @example
 * ```ts
 * const running = await runningServe('/var/lib/codio-chunk')
 * if (running !== undefined) console.log(`serve (pid ${running.pid}) takes requests at ${running.url}`)
 * ```
 */
export async function runningServe (dataDir: string): Promise<ControlRecord | undefined> {
  const record = await readControlFile(dataDir)
  if (record === undefined || record.pid === process.pid || !isRunning(record.pid)) return undefined
  return record
}
