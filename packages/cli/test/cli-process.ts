import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The built `codio-chunk` binary (the package's test target builds it first). */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (pnpm nx run @codio-chunk/cli:build)`)

/** A finished `codio-chunk` process. */
export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** A running `codio-chunk` process whose stdout is read as JSON lines. */
export class CliProcess {
  readonly child: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<CliResult>
  private readonly waiters: Array<() => void> = []

  constructor (args: readonly string[], options: { cwd: string, env?: Record<string, string> }) {
    // No test reaches the public DHT: the DHT is off unless a test turns it on (with --bootstrap
    // pointing at a local node).
    const env = { ...process.env, CODIO_CHUNK_DHT: 'off', ...options.env }
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => { this.stdout += text; this.wake() })
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => { this.stderr += text; this.wake() })
    this.exited = new Promise(resolve => {
      this.child.on('close', (code, signal) => {
        this.wake()
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr })
      })
    })
  }

  private wake (): void {
    for (const waiter of this.waiters.splice(0)) waiter()
  }

  /** The JSON documents printed on stdout so far. */
  json (): Array<Record<string, unknown>> {
    return this.stdout.split('\n').filter(line => line.startsWith('{')).map(line => JSON.parse(line) as Record<string, unknown>)
  }

  /** Waits for a JSON line matching `match`; fails after `timeout` ms or if the process exits first. */
  async waitForJson (match: (doc: Record<string, unknown>) => boolean, timeout = 20_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeout
    for (;;) {
      const found = this.json().find(match)
      if (found !== undefined) return found
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`codio-chunk exited (${this.child.exitCode ?? this.child.signalCode}) before the expected output.\nstdout: ${this.stdout}\nstderr: ${this.stderr}`)
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for codio-chunk output.\nstdout: ${this.stdout}\nstderr: ${this.stderr}`)
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  /** Sends a signal and waits for the process to exit (SIGKILL after `timeout` ms). */
  async stop (signal: NodeJS.Signals = 'SIGTERM', timeout = 10_000): Promise<CliResult> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeout)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }
}

/** Runs `codio-chunk` to completion (killed after `timeout` ms). */
export async function runCli (args: readonly string[], options: { cwd: string, env?: Record<string, string>, timeout?: number }): Promise<CliResult> {
  const proc = new CliProcess(args, options)
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), options.timeout ?? 30_000)
  try {
    return await proc.exited
  } finally {
    clearTimeout(timer)
  }
}

/** The last JSON document a finished process printed. */
export function lastJson (result: CliResult): Record<string, unknown> {
  const lines = result.stdout.trim().split('\n').filter(l => l.startsWith('{'))
  if (lines.length === 0) throw new Error(`no JSON output.\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>
}

/** A finished `codio-chunk` process whose stdout was kept as bytes (content written to stdout). */
export interface CliBytesResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
}

/**
 * Runs `codio-chunk` to completion keeping stdout as bytes (killed after `timeout` ms). With
 * `closeAfter`, stdout is closed once that many bytes have arrived, as `| head -c N` does.
 */
export async function runCliBytes (args: readonly string[], options: { cwd: string, env?: Record<string, string>, timeout?: number, closeAfter?: number, stdin?: Buffer }): Promise<CliBytesResult> {
  const env = { ...process.env, CODIO_CHUNK_DHT: 'off', ...options.env }
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
  if (options.stdin !== undefined) child.stdin!.end(options.stdin)
  const parts: Buffer[] = []
  let received = 0
  let stderr = ''
  child.stdout!.on('data', (part: Buffer) => {
    if (options.closeAfter !== undefined && received >= options.closeAfter) return
    parts.push(part)
    received += part.length
    if (options.closeAfter !== undefined && received >= options.closeAfter) child.stdout!.destroy()
  })
  child.stderr!.setEncoding('utf8').on('data', (text: string) => { stderr += text })
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 30_000)
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => { child.on('close', (c, s) => { resolve([c, s]) }) })
    return { code, signal, stdout: Buffer.concat(parts), stderr }
  } finally {
    clearTimeout(timer)
  }
}
