// Node side of the libtorrent comparison peers: finds (or installs, with apt) Debian's
// python3-libtorrent and drives lt_peer.py over stdin/stdout JSON lines.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { rmSync, mkdirSync } from 'node:fs'
import { CRASH_SIGNALS, runJsonChild, spawnJsonLines } from '../child.mjs'

/** Debian's Python, which python3-libtorrent installs for (not a pyenv `python3` on PATH). */
export const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3'
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'lt_peer.py')

/** The installed libtorrent version (`2.0.8.0`), or undefined if the module cannot be imported. */
export function libtorrentVersion () {
  const probe = spawnSync(PYTHON, ['-c', 'import libtorrent as lt; print(lt.__version__)'], { encoding: 'utf8', timeout: 30_000 })
  return probe.status === 0 ? probe.stdout.trim() : undefined
}

/**
 * The libtorrent version, installing `python3-libtorrent` with apt-get when it is missing and
 * `install` is true. Throws an Error that says what to do if it is still missing.
 */
export function ensureLibtorrent ({ install = true, log = (line) => process.stdout.write(line + '\n') } = {}) {
  let version = libtorrentVersion()
  if (version !== undefined || !install) return version
  log('python3-libtorrent is missing: installing it with apt-get (needs root)…')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  let result = spawnSync('apt-get', ['install', '-y', '-q', 'python3-libtorrent'], { encoding: 'utf8', env, timeout: 600_000 })
  if (result.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { encoding: 'utf8', env, timeout: 600_000 })
    result = spawnSync('apt-get', ['install', '-y', '-q', 'python3-libtorrent'], { encoding: 'utf8', env, timeout: 600_000 })
  }
  version = libtorrentVersion()
  if (version === undefined) {
    const why = (result.error?.message ?? result.stderr ?? '').trim().split('\n').slice(-2).join(' ')
    throw new Error(`Could not install python3-libtorrent with apt-get (${why || `exit ${result.status}`}). Install it yourself (sudo apt-get install python3-libtorrent) so that ${PYTHON} can import libtorrent, or run without --compare.`)
  }
  return version
}

/** Makes `torrent` from `file` with libtorrent itself: `pieceSize` bytes per piece, format v1, v2 or hybrid. */
export async function createTorrent (file, torrent, pieceSize, format = 'v1') {
  return await runJsonChild(PYTHON, [SCRIPT, 'create', file, torrent, String(pieceSize), format], { name: 'libtorrent create', timeoutMs: 300_000 })
}

/**
 * Starts `count` libtorrent seeding sessions of the file in `savePath` (one process). Resolves when
 * all of them seed, with their loopback addresses and `mark()`, `cpu()` and `stop()` (CPU seconds
 * since the last mark).
 */
export async function startSeeders (torrent, savePath, count, profile) {
  const child = spawnJsonLines(PYTHON, [SCRIPT, 'seed', torrent, savePath, String(count), profile], { name: `libtorrent seeders (${profile})` })
  const { ports } = await child.next(300_000, 'seeding sessions')
  return {
    ports,
    async mark () { child.send({ op: 'mark' }); await child.next(30_000, 'mark') },
    async cpu () { child.send({ op: 'cpu' }); return (await child.next(30_000, 'CPU time')).cpuSeconds },
    async stop () {
      child.send({ op: 'stop' })
      const { cpuSeconds } = await child.next(30_000, 'stop')
      await child.exited(10_000)
      return cpuSeconds
    },
    kill () { child.kill() }
  }
}

/** Attempts of one libtorrent download when its leecher process crashes (python3-libtorrent has segfaulted here). */
export const LEECH_ATTEMPTS = 3

/**
 * One libtorrent leecher in its own process; resolves with `{ seconds, firstPieceMs, cpuSeconds,
 * maxRssKiB }`. A leecher that crashes (a signal such as SIGSEGV, not a timeout or an error it
 * reports) is run again into an emptied `savePath`, up to {@link LEECH_ATTEMPTS} times in all;
 * `onCrash` hears of each discarded attempt.
 */
export async function leech (torrent, savePath, profile, ports, { timeoutSeconds = 300, onCrash = () => {} } = {}) {
  const peers = JSON.stringify(ports.map(port => ['127.0.0.1', port]))
  for (let attempt = 1; ; attempt++) {
    try {
      return await runJsonChild(PYTHON, [SCRIPT, 'leech', torrent, savePath, profile, peers, String(timeoutSeconds)], { name: `libtorrent leecher (${profile})`, timeoutMs: (timeoutSeconds + 60) * 1000 })
    } catch (err) {
      if (!CRASH_SIGNALS.has(err.signal) || attempt >= LEECH_ATTEMPTS) throw err
      onCrash({ attempt, signal: err.signal, message: err.message })
      rmSync(savePath, { recursive: true, force: true })
      mkdirSync(savePath, { recursive: true })
    }
  }
}

/**
 * One libtorrent seeder and `n` leechers in one process, every upload capped at `uploadLimit`
 * bytes/s; resolves with `{ seconds, finish, cpuSeconds }` (seconds until the last one finished).
 */
export async function swarm ({ torrent, seedPath, workDir, n, uploadLimit, profile = 'default', timeoutSeconds = 600 }) {
  return await runJsonChild(PYTHON, [SCRIPT, 'swarm', torrent, seedPath, workDir, String(n), String(Math.round(uploadLimit)), profile, String(timeoutSeconds)], { name: `libtorrent swarm (${profile})`, timeoutMs: (timeoutSeconds + 120) * 1000 })
}
