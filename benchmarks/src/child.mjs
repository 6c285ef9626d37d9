// Child processes that talk in JSON lines on stdout (one object per line) and take commands on
// stdin: the benchmark's seeders, downloaders and the libtorrent driver. Every wait has a timeout,
// and a line `{ "error": "…" }` rejects the wait with that message.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/**
 * Starts `command args` and returns a handle to read its JSON lines and write commands.
 *
 * @example
 * const child = spawnJsonLines(process.execPath, ['fs-seeders.mjs', '{}'])
 * const ready = await child.next(60_000, 'seeders ready')
 * child.send({ op: 'stop' })
 * await child.exited(10_000)
 */
export function spawnJsonLines (command, args, { name = 'child', cwd, env, timeoutKill = 10_000 } = {}) {
  const proc = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
  const queue = []
  const waiters = []
  let stderr = ''
  let ended
  proc.stderr.on('data', (d) => { stderr = (stderr + d.toString()).slice(-4000) })
  proc.stdin.on('error', () => {})
  const settle = (item) => {
    const waiter = waiters.shift()
    if (waiter !== undefined) waiter(item)
    else queue.push(item)
  }
  createInterface({ input: proc.stdout }).on('line', (line) => {
    if (line.trim() === '') return
    let value
    try {
      value = JSON.parse(line)
    } catch {
      settle({ error: `${name} printed a line that is not JSON: ${line.slice(0, 200)}` })
      return
    }
    settle(value)
  })
  const exit = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      ended = { code, signal }
      const why = `${name} exited (${code ?? signal})${stderr ? `: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}`
      while (waiters.length > 0) waiters.shift()({ error: why, signal })
      resolve(ended)
    })
    proc.on('error', (err) => {
      ended = { code: null, signal: null }
      while (waiters.length > 0) waiters.shift()({ error: `${name} could not start: ${err.message}` })
      resolve(ended)
    })
  })
  return {
    pid: proc.pid,
    /** The next JSON line, or a rejection after `timeoutMs` (the child is then killed). */
    async next (timeoutMs, what = 'a reply') {
      let item = queue.shift()
      if (item === undefined) {
        if (ended !== undefined) throw childError(`${name} exited before ${what}${stderr ? `: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}`, ended.signal)
        let timer
        item = await new Promise((resolve) => {
          waiters.push(resolve)
          timer = setTimeout(() => {
            const i = waiters.indexOf(resolve)
            if (i !== -1) waiters.splice(i, 1)
            resolve({ error: `${name} gave no ${what} within ${timeoutMs / 1000} s` })
          }, timeoutMs)
        })
        clearTimeout(timer)
      }
      if (item.error !== undefined) {
        this.kill()
        throw childError(item.error, item.signal)
      }
      return item
    },
    /** Writes one command line. */
    send (value) {
      if (ended === undefined) proc.stdin.write(JSON.stringify(value) + '\n')
    },
    /** Kills the child (SIGKILL). */
    kill () {
      if (ended === undefined) proc.kill('SIGKILL')
    },
    /** Resolves with `{ code, signal }` when it exits; kills it after `timeoutMs`. */
    async exited (timeoutMs = timeoutKill) {
      if (ended !== undefined) return ended
      let timer
      const timeout = new Promise((resolve) => { timer = setTimeout(() => { this.kill(); resolve(undefined) }, timeoutMs) })
      await Promise.race([exit, timeout])
      clearTimeout(timer)
      return await exit
    }
  }
}

/** An Error for a failed child; `signal` is the signal that ended it, when one did (a crash: SIGSEGV, SIGABRT…). */
function childError (message, signal) {
  const err = new Error(message)
  if (typeof signal === 'string') err.signal = signal
  return err
}

/** Signals that mean the child crashed by itself (not a kill of ours or a timeout's). */
export const CRASH_SIGNALS = new Set(['SIGSEGV', 'SIGBUS', 'SIGABRT', 'SIGILL', 'SIGFPE'])

/** Runs a child that prints one JSON result line and exits; returns that line. */
export async function runJsonChild (command, args, { timeoutMs = 300_000, name, ...options } = {}) {
  const child = spawnJsonLines(command, args, { name, ...options })
  try {
    return await child.next(timeoutMs, 'result')
  } finally {
    await child.exited(10_000)
  }
}
