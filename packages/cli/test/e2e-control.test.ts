import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CliProcess, lastJson, runCli, runCliBytes } from './cli-process.js'

// While `serve` runs on a data dir, get, cat, add and rm on it go through the running node's
// control endpoint (real processes on loopback).

let dir: string
let content: Buffer
let cid: string
const SIZE = 1024 * 1024 + 77
const running: CliProcess[] = []

async function serve (dataDir: string, extra: string[] = []): Promise<{ proc: CliProcess, address: string, pid: number }> {
  const proc = new CliProcess(['serve', '--data-dir', dataDir, '--listen', 'tcp://127.0.0.1:0', '--json', ...extra], { cwd: dir })
  running.push(proc)
  const listening = await proc.waitForJson(doc => doc.event === 'listening')
  return { proc, address: (listening.addresses as string[])[0], pid: proc.child.pid as number }
}

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, body: string }

/** One raw request to the control endpoint (loopback, 10 s timeout). */
async function ask (url: string, options: { method?: string, token?: string, body?: string, headers?: Record<string, string> } = {}): Promise<Answer> {
  return await new Promise<Answer>((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`
    const req = request(url, { method: options.method ?? 'GET', headers, signal: AbortSignal.timeout(10_000) }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (part: string) => { body += part }).on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-chunk-cli-control-'))
  content = randomBytes(SIZE)
  await writeFile(join(dir, 'content.bin'), content)
  await writeFile(join(dir, 'other.bin'), randomBytes(300_000))
  const added = await runCli(['add', 'content.bin', '--data-dir', 'origin', '--chunk-size', '64KiB', '--json'], { cwd: dir })
  expect(added.code, added.stderr).toBe(0)
  cid = (lastJson(added).added as Array<{ cid: string }>)[0].cid
})

afterAll(async () => {
  await Promise.all(running.map(async p => await p.stop('SIGKILL')))
  await rm(dir, { recursive: true, force: true })
})

describe('commands on the data dir of a running serve', () => {
  it('get, cat, add and rm go through the running node instead of being refused', async () => {
    const origin = await serve('origin')
    const edge = await serve('edge')
    try {
      // get: the edge node fetches from the given peer, streams it here, and keeps it.
      const got = await runCli(['get', cid, '--peer', origin.address, '--data-dir', 'edge', '-o', 'through.bin', '--json'], { cwd: dir })
      expect(got.code, got.stderr).toBe(0)
      expect(lastJson(got)).toMatchObject({ event: 'done', cid, size: SIZE, servedBy: edge.pid })
      expect(Buffer.compare(await readFile(join(dir, 'through.bin')), content)).toBe(0)
      const listed = await runCli(['ls', '--data-dir', 'edge', '--json'], { cwd: dir })
      expect(lastJson(listed).contents).toEqual([expect.objectContaining({ cid, complete: true })])

      // cat: from the edge's store now, no peer needed; a closed stdout ends it quietly.
      const cat = await runCliBytes(['cat', cid, '--data-dir', 'edge'], { cwd: dir })
      expect(cat.code, cat.stderr).toBe(0)
      expect(Buffer.compare(cat.stdout, content)).toBe(0)
      const head = await runCliBytes(['cat', cid, '--data-dir', 'edge'], { cwd: dir, closeAfter: 10 })
      expect(head.code, head.stderr).toBe(0)
      expect(head.stderr).toBe('')

      // add: the CID is the one a plain add with the same settings gives, from a file and from stdin.
      const plain = await runCli(['add', 'other.bin', '--data-dir', 'plain', '--chunk-size', '16KiB', '--json'], { cwd: dir })
      const expected = (lastJson(plain).added as Array<{ cid: string }>)[0].cid
      const added = await runCli(['add', 'other.bin', '--data-dir', 'edge', '--chunk-size', '16KiB', '--json'], { cwd: dir })
      expect(added.code, added.stderr).toBe(0)
      expect(lastJson(added)).toMatchObject({ added: [{ file: 'other.bin', cid: expected, size: 300_000 }], servedBy: edge.pid })
      const piped = await runCliBytes(['add', '-', '--data-dir', 'edge', '--chunk-size', '16KiB', '--json'], { cwd: dir, stdin: await readFile(join(dir, 'other.bin')) })
      expect(piped.code, piped.stderr).toBe(0)
      expect(JSON.parse(piped.stdout.toString())).toMatchObject({ added: [{ file: '-', cid: expected }] })
      // …and another node can fetch it from the edge at once.
      const fetched = await runCliBytes(['cat', expected, '--peer', edge.address, '--data-dir', 'reader'], { cwd: dir })
      expect(fetched.code, fetched.stderr).toBe(0)
      expect(Buffer.compare(fetched.stdout, await readFile(join(dir, 'other.bin')))).toBe(0)

      // rm: the running node stops serving it and deletes it; a second rm says it is gone.
      const removed = await runCli(['rm', expected, '--data-dir', 'edge'], { cwd: dir })
      expect(removed.code, removed.stderr).toBe(0)
      expect(removed.stdout).toBe(`removed ${expected}\n`)
      const again = await runCli(['rm', expected, '--data-dir', 'edge'], { cwd: dir })
      expect(again.code).toBe(1)
      expect(again.stderr).toBe(`error: ${expected} is not in the store (see codio-chunk ls)\n`)
      const after = await runCli(['ls', '--data-dir', 'edge', '--json'], { cwd: dir })
      expect((lastJson(after).contents as Array<{ cid: string }>).map(c => c.cid)).toEqual([cid])

      // A content nobody has: a clear error, not a hang.
      const missing = await runCli(['get', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '--data-dir', 'edge', '-o', 'none.bin'], { cwd: dir })
      expect(missing.code).toBe(1)
      // (The edge may still be connected to the origin node, which says it does not hold it.)
      expect(missing.stderr).toMatch(/^error: No (provider|peer) [^\n]*\n$/)
      // --seed makes no sense through a running serve.
      const seed = await runCli(['get', cid, '--data-dir', 'edge', '--seed'], { cwd: dir })
      expect(seed.code).toBe(2)
      expect(seed.stderr).toMatch(/^error: --seed: the data dir is served by `codio-chunk serve` \(pid \d+\)/)
    } finally {
      for (const node of [edge, origin]) expect((await node.proc.stop('SIGTERM')).code).toBe(0)
    }
    // Once serve has stopped, its control file is gone and commands take the data dir themselves.
    expect(existsSync(join(dir, 'edge', 'control.json'))).toBe(false)
    const local = await runCli(['rm', cid, '--data-dir', 'edge'], { cwd: dir })
    expect(local.code, local.stderr).toBe(0)
  }, 60_000)

  it('the control endpoint is for the data dir\'s owner only, and answers bad requests clearly', async () => {
    const node = await serve('origin')
    try {
      const file = join(dir, 'origin', 'control.json')
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      expect((await stat(join(dir, 'origin'))).mode & 0o077).toBe(0)
      const { url, token, pid } = JSON.parse(await readFile(file, 'utf8')) as { url: string, token: string, pid: number }
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(pid).toBe(node.pid)

      const noToken = await ask(`${url}/v1/content/${cid}`)
      expect(noToken.status).toBe(401)
      expect(JSON.parse(noToken.body).error.message).toMatch(/token in the data dir's control\.json/)
      expect((await ask(`${url}/v1/content/${cid}`, { token: 'f'.repeat(64) })).status).toBe(401)
      expect((await ask(`${url}/v1/content/${cid}`, { headers: { Authorization: `Basic ${token}` } })).status).toBe(401)

      const cases: Array<[string, { method?: string, body?: string }, number, RegExp]> = [
        ['/v1/content/not-a-cid', {}, 400, /^not a CID: not-a-cid/],
        [`/v1/content/${cid}?peer=nonsense`, {}, 400, /nonsense/],
        [`/v1/content/${cid}?colour=blue`, {}, 400, /unknown query parameter "colour"/],
        [`/v1/content/${cid}?${Array.from({ length: 300 }, () => 'peer=tcp://127.0.0.1:1').join('&')}`, {}, 400, /at most 256 peer parameters/],
        [`/v1/content/${cid}`, { method: 'PUT' }, 405, /takes GET or DELETE/],
        ['/v1/add', { method: 'GET' }, 405, /takes POST/],
        ['/v1/add?chunkSize=12', { method: 'POST', body: 'x' }, 400, /chunkSize must be a byte count from 1024 to 4194304/],
        ['/v1/add?cidVersion=7', { method: 'POST', body: 'x' }, 400, /cidVersion must be 0 or 1/],
        ['/v1/add?verifier=blake3', { method: 'POST', body: 'x' }, 400, /hashes added content with sha256, not blake3/],
        ['/v1/add?x=1', { method: 'POST', body: 'x' }, 400, /unknown query parameter "x"/],
        ['/v1/nothing', {}, 404, /no such endpoint "\/v1\/nothing"/],
        ['/v1/content/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', { method: 'DELETE' }, 404, /is not in the store/]
      ]
      for (const [path, options, status, message] of cases) {
        const answer = await ask(`${url}${path}`, { ...options, token })
        expect(answer.status, path).toBe(status)
        expect(answer.headers['content-type'], path).toBe('application/json')
        expect(JSON.parse(answer.body).error.message, path).toMatch(message)
      }
      // A bad request from the CLI is a usage error there too; the node keeps running.
      const bad = await runCli(['get', cid, '--peer', 'nonsense', '--data-dir', 'origin', '-o', 'x.bin'], { cwd: dir })
      expect(bad.code).toBe(2)
      expect(bad.stderr).toMatch(/^error: .*nonsense/)
      const ok = await ask(`${url}/v1/content/${cid}`, { token })
      expect(ok.status).toBe(200)
      expect(ok.headers['x-content-size']).toBe(String(SIZE))
    } finally {
      expect((await node.proc.stop('SIGTERM')).code).toBe(0)
    }
  }, 60_000)

  it('a control file left by a serve that is gone is ignored: commands take the data dir themselves', async () => {
    const added = await runCli(['add', 'content.bin', '--data-dir', 'stale', '--chunk-size', '64KiB'], { cwd: dir })
    expect(added.code, added.stderr).toBe(0)
    // pid 2^22 + 1 is above Linux's largest pid: no process has it.
    await writeFile(join(dir, 'stale', 'control.json'), JSON.stringify({ pid: 4_194_305, url: 'http://127.0.0.1:9', token: 'a'.repeat(64) }))
    const cat = await runCliBytes(['cat', cid, '--data-dir', 'stale'], { cwd: dir })
    expect(cat.code, cat.stderr).toBe(0)
    expect(Buffer.compare(cat.stdout, content)).toBe(0)
    const removed = await runCli(['rm', cid, '--data-dir', 'stale'], { cwd: dir })
    expect(removed.code, removed.stderr).toBe(0)
  })
})
