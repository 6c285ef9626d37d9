import { randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, CliProcess, lastJson, runCli, runCliBytes } from './cli-process.js'

// Real `codio-chunk` processes on loopback: serve --http as a gateway, cat and get -o - streaming
// to stdout, a closed stdout and Ctrl-C, and --origin falling back to another node's gateway.

let dir: string
let content: Buffer
let cid: string
const SIZE = 2 * 1024 * 1024 + 4321
const CHUNK = '64KiB'
const running: CliProcess[] = []

async function serve (dataDir: string, extra: string[] = []): Promise<{ proc: CliProcess, address: string, http: string | null, listening: Record<string, unknown> }> {
  const proc = new CliProcess(['serve', '--data-dir', dataDir, '--listen', 'tcp://127.0.0.1:0', '--json', ...extra], { cwd: dir })
  running.push(proc)
  const listening = await proc.waitForJson(doc => doc.event === 'listening')
  return { proc, address: (listening.addresses as string[])[0], http: listening.http as string | null, listening }
}

/** Resolves when `predicate` holds (checked every 20 ms); rejects after `timeout` ms. */
async function waitUntil (predicate: () => boolean, what: string, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-chunk-cli-http-'))
  content = randomBytes(SIZE)
  await writeFile(join(dir, 'content.bin'), content)
  const added = await runCli(['add', 'content.bin', '--data-dir', 'seed', '--chunk-size', CHUNK, '--json'], { cwd: dir })
  expect(added.code, added.stderr).toBe(0)
  cid = (lastJson(added).added as Array<{ cid: string }>)[0].cid
})

afterAll(async () => {
  await Promise.all(running.map(async p => await p.stop('SIGKILL')))
  await rm(dir, { recursive: true, force: true })
})

describe('serve --http', () => {
  it('serves the store over HTTP, reports the URL in the listening event, and answers Range requests', async () => {
    const node = await serve('seed', ['--http', '127.0.0.1:0'])
    try {
      expect(node.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const whole = await fetch(`${node.http}/ipfs/${cid}`, { signal: AbortSignal.timeout(10_000) })
      expect(whole.status).toBe(200)
      expect(Buffer.compare(Buffer.from(await whole.arrayBuffer()), content)).toBe(0)
      const part = await fetch(`${node.http}/ipfs/${cid}`, { headers: { Range: 'bytes=100000-100099' }, signal: AbortSignal.timeout(10_000) })
      expect(part.status).toBe(206)
      expect(part.headers.get('content-range')).toBe(`bytes 100000-100099/${SIZE}`)
      expect(Buffer.compare(Buffer.from(await part.arrayBuffer()), content.subarray(100_000, 100_100))).toBe(0)
    } finally {
      expect((await node.proc.stop('SIGTERM')).code).toBe(0)
    }
  })

  it('takes http from the config file, and says clearly when the port is taken (no lock left)', async () => {
    const blocker = createServer()
    await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      await writeFile(join(dir, 'http.config.json'), JSON.stringify({ http: `127.0.0.1:${port}` }))
      const result = await runCli(['serve', '--data-dir', 'busy', '--listen', 'tcp://127.0.0.1:0', '--config', 'http.config.json'], { cwd: dir })
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(`error: --http 127.0.0.1:${port}: cannot listen: the port is in use; choose another port\n`)
      expect(result.stderr).not.toMatch(/\n\s+at /)
      expect(existsSync(join(dir, 'busy', 'repo.lock'))).toBe(false)
      expect(existsSync(join(dir, 'busy', 'control.json'))).toBe(false)
    } finally {
      blocker.close()
    }
  })

  it('refuses a malformed --http and --origin with a usage error', async () => {
    const http = await runCli(['serve', '--data-dir', 'bad', '--http', '8080'], { cwd: dir })
    expect(http.code).toBe(2)
    expect(http.stderr).toMatch(/--http takes host:port such as 127\.0\.0\.1:8080/)
    const origin = await runCli(['get', cid, '--data-dir', 'bad', '--origin', 'ftp://x.example'], { cwd: dir })
    expect(origin.code).toBe(2)
    expect(origin.stderr).toMatch(/--origin takes the base URL of a trustless gateway/)
  })
})

describe('cat and get -o -', () => {
  it('cat streams the content to stdout and keeps it in the store', async () => {
    const node = await serve('seed')
    try {
      const result = await runCliBytes(['cat', cid, '--peer', node.address, '--data-dir', 'cat1'], { cwd: dir })
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toBe('')
      expect(Buffer.compare(result.stdout, content)).toBe(0)
      const listed = await runCli(['ls', '--data-dir', 'cat1', '--json'], { cwd: dir })
      expect(lastJson(listed).contents).toEqual([expect.objectContaining({ cid, complete: true })])
    } finally {
      await node.proc.stop('SIGTERM')
    }
  })

  it('get -o - writes the first bytes before the download ends', async () => {
    // 512 KiB/s: the 2 MiB content takes seconds, the first chunk a fraction of one.
    const node = await serve('seed', ['--upload-limit', '512KiB/s'])
    try {
      let firstByteAt = 0
      const proc = new CliProcess(['get', cid, '--peer', node.address, '--data-dir', 'stream1', '-o', '-'], { cwd: dir })
      running.push(proc)
      proc.child.stdout!.once('data', () => { firstByteAt = Date.now() })
      const result = await proc.exited
      const endedAt = Date.now()
      expect(result.code, result.stderr).toBe(0)
      expect(firstByteAt).toBeGreaterThan(0)
      // The upload cap is a ceiling: the rest of the content takes over 3 s after the first chunk,
      // however loaded the machine is, and the first bytes came out before it.
      expect(endedAt - firstByteAt).toBeGreaterThan(1500)
      expect(result.stderr).toMatch(/^saved .* to stdout: fetched 2\.0 MiB/m)
    } finally {
      await node.proc.stop('SIGTERM')
    }
  })

  it('a reader that closes stdout early (| head -c 10) ends cat and get -o - quietly: exit 0, no stack trace, no lock', async () => {
    const node = await serve('seed', ['--upload-limit', '1MiB/s'])
    try {
      for (const args of [['cat', cid], ['get', cid, '-o', '-']]) {
        const dataDir = `pipe-${args[0]}`
        const result = await runCliBytes([...args, '--peer', node.address, '--data-dir', dataDir], { cwd: dir, closeAfter: 10 })
        expect(result.code, result.stderr).toBe(0)
        expect(result.stderr).toBe('')
        expect(result.stdout.subarray(0, 10)).toEqual(content.subarray(0, 10))
        expect(existsSync(join(dir, dataDir, 'repo.lock'))).toBe(false)
      }
      // The same through a shell pipeline, as a user types it.
      const status = execFileSync('bash', ['-c', `"${process.execPath}" "${BIN}" cat ${cid} --peer ${node.address} --data-dir pipe-sh 2>err.txt | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`], { cwd: dir, env: { ...process.env, CODIO_CHUNK_DHT: 'off' }, timeout: 30_000 }).toString().trim()
      expect(status).toBe('0')
      expect(await readFile(join(dir, 'err.txt'), 'utf8')).toBe('')
      expect(existsSync(join(dir, 'pipe-sh', 'repo.lock'))).toBe(false)
      // Commands that print results end quietly too.
      const ls = execFileSync('bash', ['-c', `"${process.execPath}" "${BIN}" --help 2>err2.txt | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`], { cwd: dir, timeout: 30_000 }).toString().trim()
      expect(ls).toBe('0')
      expect(await readFile(join(dir, 'err2.txt'), 'utf8')).toBe('')
    } finally {
      await node.proc.stop('SIGTERM')
    }
  })

  it('Ctrl-C during cat exits 130 with a note on how to resume, and releases the lock', async () => {
    const node = await serve('seed', ['--upload-limit', '256KiB/s'])
    try {
      const proc = new CliProcess(['cat', cid, '--peer', node.address, '--data-dir', 'sigint'], { cwd: dir })
      running.push(proc)
      await waitUntil(() => proc.stdout.length > 0, 'the first bytes on stdout')
      const result = await proc.stop('SIGINT')
      expect(result.code).toBe(130)
      expect(result.stderr).toMatch(/^error: interrupted with \d+ of \d+ chunks stored; run the same command again to resume\n$/)
      expect(existsSync(join(dir, 'sigint', 'repo.lock'))).toBe(false)
    } finally {
      await node.proc.stop('SIGTERM')
    }
  })
})

describe('--origin', () => {
  it('a node with no peers gets the content from another node\'s gateway, verified and byte-identical', async () => {
    const origin = await serve('seed', ['--http', '127.0.0.1:0'])
    try {
      const got = await runCli(['get', cid, '--origin', origin.http as string, '--data-dir', 'o1', '-o', 'from-origin.bin', '--json'], { cwd: dir })
      expect(got.code, got.stderr).toBe(0)
      expect(lastJson(got)).toMatchObject({ event: 'done', cid, size: SIZE, fetchedBytes: SIZE, originBytes: SIZE, offload: 0, peers: 0 })
      expect(Buffer.compare(await readFile(join(dir, 'from-origin.bin')), content)).toBe(0)
      // cat, with the origin from the data dir's config file (key "origins").
      await writeFile(join(dir, 'o2.config.json'), JSON.stringify({ origins: [origin.http] }))
      const cat = await runCliBytes(['cat', cid, '--data-dir', 'o2', '--config', 'o2.config.json'], { cwd: dir })
      expect(cat.code, cat.stderr).toBe(0)
      expect(Buffer.compare(cat.stdout, content)).toBe(0)
    } finally {
      await origin.proc.stop('SIGTERM')
    }
  })

  it('serve --origin answers its gateway\'s clients from its origin when no peer has the content, and reports the origin bytes when it stops', async () => {
    const origin = await serve('seed', ['--http', '127.0.0.1:0'])
    const edge = await serve('edge', ['--origin', origin.http as string, '--http', '127.0.0.1:0'])
    try {
      expect(edge.listening.origins).toEqual([origin.http])
      // A client of the edge's gateway: the edge has nothing, its origin has it.
      const res = await fetch(`${edge.http}/ipfs/${cid}`, { headers: { Range: 'bytes=0-65535' }, signal: AbortSignal.timeout(20_000) })
      expect(res.status).toBe(206)
      expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), content.subarray(0, 65_536))).toBe(0)
    } finally {
      const stopped = await edge.proc.stop('SIGTERM')
      expect(stopped.code, stopped.stderr).toBe(0)
      const last = lastJson(stopped)
      expect(last.event).toBe('stopped')
      expect(last.originBytes).toBeGreaterThanOrEqual(65_536)
      expect(last.offload).toBe(0)
      await origin.proc.stop('SIGTERM')
    }
  })
})
