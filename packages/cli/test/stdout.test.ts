import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { run } from '../src/index.js'
import { InterruptedError, StdoutClosedError } from '../src/errors.js'
import { watchStdout, writeParts } from '../src/stdout.js'
import { parseConfigFile } from '../src/config-file.js'
import { settingsFrom } from '../src/settings.js'
import { optionsFor } from '../src/options.js'

/** A stdout whose reader goes away after `limit` bytes: later writes fail with EPIPE, as a pipe's do. */
class ClosingStream extends EventEmitter {
  received = 0
  private failed = false
  constructor (private readonly limit: number, private readonly full = false) { super() }
  write (chunk: string | Uint8Array): boolean {
    if (this.failed) {
      queueMicrotask(() => this.emit('error', Object.assign(new Error('write after destroy'), { code: 'ERR_STREAM_DESTROYED' })))
      return false
    }
    this.received += chunk.length
    if (this.received >= this.limit) {
      this.failed = true
      setImmediate(() => this.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })))
    }
    // A full stream asks the writer to wait for 'drain', which never comes once the reader is gone.
    return !this.full
  }
}

function capture (): { write: (chunk: string | Uint8Array) => boolean, text: () => string } {
  let text = ''
  return { write: (chunk) => { text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(); return true }, text: () => text }
}

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'codio-chunk-cli-stdout-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

describe('writeParts and watchStdout', () => {
  it('stops a writer waiting for drain when the reader goes away, with StdoutClosedError', async () => {
    const stream = new ClosingStream(16, true)
    const controller = new AbortController()
    const watch = watchStdout(stream, controller)
    async function * parts (): AsyncGenerator<Uint8Array> { for (;;) yield new Uint8Array(8) }
    // The first write fills the stream; the reader goes away while the writer waits for drain.
    setTimeout(() => { stream.write(new Uint8Array(8)) }, 10)
    await expect(writeParts(parts(), stream, controller.signal)).rejects.toBeInstanceOf(StdoutClosedError)
    expect(watch.closedByReader).toBe(true)
    expect(stream.received).toBe(16)
    watch.dispose()
    expect(stream.listenerCount('error')).toBe(0)
  })

  it('writes every part in order and resolves with the byte count', async () => {
    const seen: number[] = []
    const stream = { write: (chunk: string | Uint8Array) => { seen.push((chunk as Uint8Array)[0]); return true } }
    async function * parts (): AsyncGenerator<Uint8Array> { for (let i = 0; i < 5; i++) yield new Uint8Array([i, i]) }
    expect(await writeParts(parts(), stream, new AbortController().signal)).toBe(10)
    expect(seen).toEqual([0, 1, 2, 3, 4])
  })

  it('treats other stdout failures as failures (not a closed pipe)', () => {
    const stream = new EventEmitter() as EventEmitter & { write: () => boolean }
    stream.write = () => true
    const controller = new AbortController()
    const watch = watchStdout(stream, controller)
    stream.emit('error', Object.assign(new Error('disk on fire'), { code: 'EIO' }))
    expect(controller.signal.aborted).toBe(true)
    expect(watch.closedByReader).toBe(false)
    expect(watch.failure?.message).toBe('disk on fire')
  })
})

describe('run() with a closed stdout or an interrupt', () => {
  it('ends ls --json quietly with 0 when stdout is closed, printing nothing on stderr', async () => {
    await writeFile(join(dir, 'a.txt'), 'hello\n')
    const stderr = capture()
    expect(await run(['add', 'a.txt', '--data-dir', 'n'], { stdout: capture(), stderr, cwd: dir, env: {} })).toBe(0)
    const stdout = new ClosingStream(1)
    const code = await run(['ls', '--json', '--data-dir', 'n'], { stdout, stderr, cwd: dir, env: {} })
    // Let the EPIPE of the last write arrive, as it would before the process exits.
    await new Promise(resolve => setImmediate(resolve))
    expect(code).toBe(0)
    expect(stderr.text()).toBe('')
  })

  it('ends cat quietly with 0 when its reader goes away, releasing the data dir lock', async () => {
    await writeFile(join(dir, 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 7))
    const stderr = capture()
    const added = capture()
    expect(await run(['add', 'big.bin', '--data-dir', 'n', '--chunk-size', '64KiB', '--json'], { stdout: added, stderr, cwd: dir, env: {} })).toBe(0)
    const cid = JSON.parse(added.text()).added[0].cid as string
    const stdout = new ClosingStream(100_000, true)
    const code = await run(['cat', cid, '--data-dir', 'n'], { stdout, stderr, cwd: dir, env: { CODIO_CHUNK_DHT: 'off' } })
    expect(code).toBe(0)
    expect(stderr.text()).toBe('')
    expect(stdout.received).toBeLessThan(3 * 1024 * 1024)
    expect(existsSync(join(dir, 'n', 'repo.lock'))).toBe(false)
  })

  it('exits 130 on SIGINT once the command has cleaned up, and 0 for serve on SIGTERM', async () => {
    for (const [signal, expected] of [['SIGINT', 130], ['SIGTERM', 0]] as const) {
      const interrupt = new AbortController()
      // The signal arrives once serve runs (its last line says how to stop it).
      const stdout = { write: (chunk: string | Uint8Array) => { if (String(chunk).includes('press Ctrl-C')) setImmediate(() => { interrupt.abort(new InterruptedError(signal)) }); return true } }
      const stderr = capture()
      const code = await run(['serve', '--data-dir', 'n', '--listen', 'tcp://127.0.0.1:0', '--no-dht'], { stdout, stderr, cwd: dir, env: {}, signal: interrupt.signal })
      expect(code, stderr.text()).toBe(expected)
      expect(existsSync(join(dir, 'n', 'repo.lock'))).toBe(false)
      expect(existsSync(join(dir, 'n', 'control.json'))).toBe(false)
    }
  })
})

describe('the origin and http options', () => {
  it('reads --origin (repeatable) and the config file\'s "origins", and --http as host:port', () => {
    const specs = optionsFor(['global', 'origin', 'serve'])
    expect(settingsFrom(specs, { origin: ['http://127.0.0.1:8080', 'https://gw.example/base'] }, '/d').values.origin).toEqual(['http://127.0.0.1:8080', 'https://gw.example/base'])
    const config = { path: 'c.json', values: parseConfigFile('{"origins": ["http://10.0.0.5:8080"], "http": "[::1]:0"}', 'c.json') }
    const fromFile = settingsFrom(specs, {}, '/d', config)
    expect(fromFile.values.origin).toEqual(['http://10.0.0.5:8080'])
    expect(fromFile.values.http).toBe('[::1]:0')
    // The flag wins over the file.
    expect(settingsFrom(specs, { origin: ['http://a.example'] }, '/d', config).values.origin).toEqual(['http://a.example'])
  })

  it.each([
    [{ origin: ['ftp://x.example'] }, /--origin takes the base URL of a trustless gateway/],
    [{ origin: ['http://x.example/?a=1'] }, /--origin takes the base URL/],
    [{ origin: ['http://user:pw@x.example'] }, /--origin takes the base URL/],
    [{ origin: ['not a url'] }, /--origin takes the base URL/],
    [{ http: '8080' }, /--http takes host:port/],
    [{ http: '127.0.0.1:70000' }, /--http takes host:port/],
    [{ http: 'http://127.0.0.1:80' }, /--http takes host:port/]
  ])('refuses %o', (flags, message) => {
    expect(() => settingsFrom(optionsFor(['global', 'origin', 'serve']), flags, '/d')).toThrow(message)
  })

  it('refuses "origin" in the config file, naming the key it should be', () => {
    expect(() => parseConfigFile('{"origin": ["http://x.example"]}', 'c.json')).toThrow(/unknown option "origin"; known options: .*origins/)
  })
})
