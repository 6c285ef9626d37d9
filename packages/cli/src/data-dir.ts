import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { PeerIdentity } from '@codio-chunk/core'
import { CommandError } from './errors.js'

/**
 * Files and folders inside a node's data dir.
 *
 * @example
 * ```ts
 * dataDirPaths('/data').identity // '/data/identity.json'
 * ```
 */
export function dataDirPaths (dataDir: string): { store: string, identity: string, lock: string, control: string } {
  return {
    store: join(dataDir, 'store'),
    identity: join(dataDir, 'identity.json'),
    lock: join(dataDir, 'repo.lock'),
    control: join(dataDir, 'control.json')
  }
}

function fsError (err: unknown, what: string, path: string): CommandError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'EACCES' || code === 'EPERM') return new CommandError(`${what} ${path}: permission denied; choose another --data-dir`, { cause: err })
  if (code === 'ENOSPC') return new CommandError(`${what} ${path}: the disk is full; free some space and try again`, { cause: err })
  if (code === 'ENOTDIR' || code === 'EEXIST') return new CommandError(`${what} ${path}: a file is in the way; choose another --data-dir`, { cause: err })
  return new CommandError(`${what} ${path}: ${(err as Error).message}`, { cause: err })
}

/**
 * Creates the data dir if needed (readable only by its owner).
 *
 * @example
 * ```ts
 * await ensureDataDir('/var/lib/codio-chunk')
 * ```
 */
export async function ensureDataDir (dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw fsError(err, 'cannot create the data dir', dataDir)
  }
}

/** Hard links are missing on some file systems; there createExclusive writes the file in place. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'])

/**
 * Puts `body` at `path` only if nothing is there, all at once: the body goes to a temporary file
 * that is then hard-linked to `path` (which fails if `path` exists), so no reader ever sees a
 * half-written file. False when `path` already exists.
 */
async function createExclusive (path: string, body: string): Promise<boolean> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(temporary, body, { mode: 0o600, flag: 'wx' })
    try {
      await link(temporary, path)
      return true
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') return false
      if (code === undefined || !NO_LINKS.has(code)) throw err
    }
    // No hard links here: create `path` exclusively and write it in place.
    try {
      await writeFile(path, body, { mode: 0o600, flag: 'wx' })
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw err
    }
  } finally {
    await rm(temporary, { force: true }).catch(() => {})
  }
}

/** The identity stored at `path`, or undefined if there is no file. */
async function readIdentity (path: string): Promise<PeerIdentity | undefined> {
  let textValue: string
  try {
    textValue = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw fsError(err, 'cannot read the identity file', path)
  }
  try {
    const parsed = JSON.parse(textValue) as { privateKey?: unknown, peerId?: unknown } | null
    if (typeof parsed?.privateKey !== 'string') throw new Error('no privateKey')
    const identity = PeerIdentity.fromSeed(new Uint8Array(Buffer.from(parsed.privateKey, 'base64')))
    if (parsed.peerId !== undefined && parsed.peerId !== identity.peerId) throw new Error('peerId does not match the key')
    return identity
  } catch (err) {
    throw new CommandError(`the identity file ${path} is damaged (${(err as Error).message}): restore it from a backup, or delete it to start with a new peer id`, { cause: err })
  }
}

/**
 * The node's identity, kept in `identity.json` in the data dir (created on first use, readable
 * only by its owner). The same key gives the same peer id on every run; processes starting at
 * once on a new data dir agree on one identity. A damaged file is a `CommandError` that says
 * what to do.
 *
 * @example
 * ```ts
 * const identity = await loadIdentity('/var/lib/codio-chunk')
 * identity.peerId // '12D3KooW…', the same next time
 * ```
 */
export async function loadIdentity (dataDir: string): Promise<PeerIdentity> {
  const path = dataDirPaths(dataDir).identity
  const existing = await readIdentity(path)
  if (existing !== undefined) return existing
  await ensureDataDir(dataDir)
  const identity = PeerIdentity.generate()
  const body = JSON.stringify({ peerId: identity.peerId, privateKey: Buffer.from(identity.privateKeySeed()).toString('base64') }, null, 2) + '\n'
  let created: boolean
  try {
    created = await createExclusive(path, body)
  } catch (err) {
    throw fsError(err, 'cannot write the identity file', path)
  }
  if (created) return identity
  // Another process created it first: use that one, so both have the same peer id.
  const theirs = await readIdentity(path)
  if (theirs === undefined) throw new CommandError(`the identity file ${path} vanished while it was created: run the command again`)
  return theirs
}

/** A held data-dir lock; release it when the command ends. */
export interface DataDirLock {
  /** Removes the lock (if it is still this lock). Safe to call more than once. */
  release(): Promise<void>
}

/**
 * Tokens of the locks this process holds or is taking. A lock file with this process's pid but
 * another token was left by an earlier process that had the same pid (common in containers).
 */
const liveTokens = new Set<string>()

/** True if a process with this pid runs (one of another user's counts too). */
export function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

interface LockHolder { pid?: unknown, command?: unknown, token?: unknown }

/** What the lock file says, `gone` if there is none, `{}` if it cannot be read as a lock. */
async function readHolder (path: string): Promise<LockHolder | 'gone'> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'))
    return typeof parsed === 'object' && parsed !== null ? parsed as LockHolder : {}
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : {}
  }
}

function holdsLock (holder: LockHolder): boolean {
  const pid = holder.pid
  // pid 0 and negative pids name process groups for kill(): never a holder.
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return false
  if (pid === process.pid) return typeof holder.token === 'string' && liveTokens.has(holder.token)
  return isRunning(pid)
}

/**
 * Takes the data dir for this process (commands that write downloads: `serve`, `get`, `rm`).
 * Two such commands on one data dir would write the same files; the second one is refused with
 * the first one's pid and command, in another process or in this one. A lock left by a process
 * that no longer runs is taken over.
 *
 * @example
 * ```ts
 * const lock = await lockDataDir('/var/lib/codio-chunk', 'serve')
 * try {
 *   // … serve …
 * } finally {
 *   await lock.release()
 * }
 * ```
 */
export async function lockDataDir (dataDir: string, command: string): Promise<DataDirLock> {
  await ensureDataDir(dataDir)
  const path = dataDirPaths(dataDir).lock
  const token = randomBytes(8).toString('hex')
  const body = JSON.stringify({ pid: process.pid, command, token }) + '\n'
  liveTokens.add(token)
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      let created: boolean
      try {
        created = await createExclusive(path, body)
      } catch (err) {
        throw fsError(err, 'cannot lock the data dir', dataDir)
      }
      if (created) {
        let released = false
        return {
          release: async () => {
            if (released) return
            released = true
            liveTokens.delete(token)
            const holder = await readHolder(path)
            if (holder !== 'gone' && holder.token === token) await rm(path, { force: true })
          }
        }
      }
      const holder = await readHolder(path)
      if (holder === 'gone') continue
      if (holdsLock(holder)) {
        throw new CommandError(`the data dir ${dataDir} is in use by \`codio-chunk ${String(holder.command)}\` (pid ${String(holder.pid)}): stop it or use another --data-dir`)
      }
      // Left by a process that no longer runs.
      await rm(path, { force: true })
    }
  } catch (err) {
    liveTokens.delete(token)
    throw err
  }
  liveTokens.delete(token)
  throw new CommandError(`cannot lock the data dir ${dataDir}: another process keeps taking it; try again`)
}
