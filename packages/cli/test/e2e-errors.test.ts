import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lastJson, runCli } from './cli-process.js'

// Bad input to real `codio-chunk` processes: each gives the documented exit code (1 failure,
// 2 usage error) and one line on stderr that says what is wrong, never a stack trace.

const CID = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'
let dir: string
let busy: Server
let busyPort: number
let closedPort: number

async function listening (): Promise<Server> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return server
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-chunk-cli-errors-'))
  await writeFile(join(dir, 'hello.txt'), 'hello world\n')
  busy = await listening()
  busyPort = (busy.address() as { port: number }).port
  const closed = await listening()
  closedPort = (closed.address() as { port: number }).port
  await new Promise(resolve => closed.close(resolve))
})

afterAll(async () => {
  await new Promise(resolve => busy.close(resolve))
  await rm(dir, { recursive: true, force: true })
})

const cases: Array<{ name: string, args: () => string[], code: number, message: RegExp }> = [
  { name: 'a malformed CID', args: () => ['get', 'QmNotACid', '--peer', 'tcp://127.0.0.1:4001'], code: 2, message: /^error: bad CID "QmNotACid": / },
  { name: 'a missing file', args: () => ['add', 'missing.bin'], code: 1, message: /^error: file not found: missing\.bin$/ },
  { name: 'an unreachable peer', args: () => ['get', CID, '--peer', `tcp://127.0.0.1:${closedPort}`], code: 1, message: /^error: No provider could be reached .*ECONNREFUSED/ },
  { name: 'a bad flag value', args: () => ['get', CID, '--peer', 'tcp://127.0.0.1:4001', '--chunks-per-peer', 'lots'], code: 2, message: /^error: --chunks-per-peer takes a whole number from 1 to 1024, got "lots"$/ },
  { name: 'an out-of-range flag value', args: () => ['add', 'hello.txt', '--chunk-size', '64MiB'], code: 2, message: /^error: --chunk-size: .*chunkSize/ },
  { name: 'an unknown flag', args: () => ['get', CID, '--peers', 'tcp://127.0.0.1:4001'], code: 2, message: /^error: unknown option '--peers'/ },
  { name: 'an unknown command', args: () => ['fetch', CID], code: 2, message: /^error: unknown command 'fetch'/ },
  { name: 'no provider given', args: () => ['get', CID], code: 2, message: /^error: no providers: pass --peer <address>/ },
  { name: 'a bad peer address', args: () => ['get', CID, '--peer', '10.0.0.5:4001'], code: 2, message: /^error: --peer: .*10\.0\.0\.5:4001/ },
  { name: 'a port in use', args: () => ['serve', '--listen', `tcp://127.0.0.1:${busyPort}`], code: 1, message: /^error: Cannot listen on tcp:\/\/127\.0\.0\.1:\d+: the port is already in use/ },
  { name: 'an unknown strategy', args: () => ['get', CID, '--peer', 'tcp://127.0.0.1:4001', '--strategy', 'fastest'], code: 2, message: /^error: unknown strategy "fastest": use rarest-first, sequential, random or the path of a strategy module/ },
  { name: 'a missing strategy module', args: () => ['get', CID, '--peer', 'tcp://127.0.0.1:4001', '--strategy', './nope.js'], code: 2, message: /^error: strategy module .*nope\.js does not exist/ },
  { name: 'a CID not in the store', args: () => ['stat', CID], code: 1, message: /^error: bafkrei\S+ is not in the store; fetch it with codio-chunk get/ },
  { name: 'an empty demo', args: () => ['demo', '--size', '0'], code: 2, message: /^error: --size must be at least 1 byte$/ },
  { name: 'a missing config file', args: () => ['ls', '--config', 'nope.json'], code: 2, message: /^error: config file .*nope\.json does not exist/ }
]

describe('codio-chunk errors', () => {
  it.each(cases)('$name: exit $code and one clear line', async ({ args, code, message }) => {
    const result = await runCli([...args(), '--data-dir', 'node'], { cwd: dir, timeout: 20_000 })
    expect(result.code, result.stderr).toBe(code)
    const lines = result.stderr.trim().split('\n')
    expect(lines[0]).toMatch(message)
    expect(result.stderr).not.toMatch(/^\s+at /m)
  }, 30_000)

  it('--json reports the error as JSON on stdout too', async () => {
    const result = await runCli(['get', 'QmNotACid', '--peer', 'tcp://127.0.0.1:4001', '--json', '--data-dir', 'node'], { cwd: dir })
    expect(result.code).toBe(2)
    expect(lastJson(result)).toEqual({ error: expect.objectContaining({ name: 'UsageError', message: expect.stringMatching(/^bad CID/) }) })
  }, 30_000)

  it('--debug adds the stack trace', async () => {
    const result = await runCli(['add', 'missing.bin', '--debug', '--data-dir', 'node'], { cwd: dir })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^\s+at /m)
  }, 30_000)

  it('--debug reaches the transports through the node\'s logger', async () => {
    const result = await runCli(['get', CID, '--peer', `tcp://127.0.0.1:${closedPort}`, '--listen', 'tcp://127.0.0.1:0', '--debug', '--data-dir', 'node'], { cwd: dir })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^codio-chunk:transport-tcp listening on tcp:\/\/127\.0\.0\.1:\d+$/m)
  }, 30_000)

  it('--help and --version exit 0', async () => {
    const help = await runCli(['get', '--help'], { cwd: dir })
    expect(help.code).toBe(0)
    for (const flag of ['--peer', '--peers-file', '--output', '--seed', '--max-concurrent-downloads', '--chunks-per-peer', '--request-timeout', '--strategy', '--chunk-size', '--optimistic-unchoke-interval', '--min-upload-ratio', '--transport', '--verifier', '--json']) {
      expect(help.stdout).toContain(flag)
    }
    const version = await runCli(['--version'], { cwd: dir })
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  }, 30_000)
})
