import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CliProcess, lastJson, runCli } from './cli-process.js'

// Real `codio-chunk` processes on loopback: `add` into three data dirs, three `serve` nodes, and
// `get` fetching from all of them.

let dir: string
let content: Buffer
let cid: string
const SIZE = 6 * 1024 * 1024 + 12_345
const CHUNK = '64KiB'
const CHUNKS = Math.ceil(SIZE / (64 * 1024))

async function addTo (dataDir: string): Promise<string> {
  const result = await runCli(['add', 'content.bin', '--data-dir', dataDir, '--chunk-size', CHUNK, '--json'], { cwd: dir })
  expect(result.code, result.stderr).toBe(0)
  const added = (lastJson(result).added as Array<{ cid: string, size: number, chunks: number }>)[0]
  expect(added).toMatchObject({ size: SIZE, chunks: CHUNKS })
  return added.cid
}

async function startServe (dataDir: string, extra: string[] = []): Promise<{ proc: CliProcess, address: string }> {
  const listen = extra.includes('--listen') ? [] : ['--listen', 'tcp://127.0.0.1:0']
  const proc = new CliProcess(['serve', '--data-dir', dataDir, ...listen, '--json', ...extra], { cwd: dir })
  const listening = await proc.waitForJson(doc => doc.event === 'listening')
  expect(listening.peerId).toMatch(/^12D3KooW/)
  expect(listening.contents).toBe(1)
  return { proc, address: (listening.addresses as string[])[0] }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-chunk-cli-e2e-'))
  content = randomBytes(SIZE)
  await writeFile(join(dir, 'content.bin'), content)
  const cids = await Promise.all(['s1', 's2', 's3'].map(addTo))
  expect(new Set(cids).size).toBe(1)
  cid = cids[0]
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('codio-chunk serve and get', () => {
  it('three serve nodes and a get produce a byte-identical file, and serve stops cleanly keeping its store', async () => {
    const serves = await Promise.all(['s1', 's2', 's3'].map(async d => await startServe(d)))
    try {
      const peers = serves.flatMap(s => ['--peer', s.address])
      const result = await runCli(['get', cid, ...peers, '--data-dir', 'g1', '-o', 'out.bin', '--json'], { cwd: dir })
      expect(result.code, result.stderr).toBe(0)
      const done = lastJson(result)
      expect(done).toMatchObject({ event: 'done', cid, size: SIZE, chunks: CHUNKS, resumedChunks: 0, fetchedChunks: CHUNKS, fetchedBytes: SIZE })
      expect(done.peers).toBeGreaterThanOrEqual(2)
      expect(Buffer.compare(await readFile(join(dir, 'out.bin')), content)).toBe(0)
    } finally {
      const stopped = await Promise.all(serves.map(async s => await s.proc.stop('SIGTERM')))
      for (const result of stopped) expect(result.code, result.stderr).toBe(0)
      const served = stopped.map(r => lastJson(r)).map(doc => { expect(doc.event).toBe('stopped'); return doc.chunksServed as number })
      expect(served.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(CHUNKS)
    }
    // The stores survived the shutdown intact.
    const listed = await runCli(['ls', '--data-dir', 's1', '--json'], { cwd: dir })
    expect(lastJson(listed).contents).toEqual([expect.objectContaining({ cid, complete: true, completeChunks: CHUNKS })])
  }, 60_000)

  it('a get killed half-way resumes from the chunks it verified, and never leaves a partial output file', async () => {
    // Capped uploads make the download take a few seconds, so it can be stopped in the middle.
    const serves = await Promise.all(['s1', 's2'].map(async d => await startServe(d, ['--upload-limit', '1MiB/s'])))
    const peers = serves.flatMap(s => ['--peer', s.address])
    const args = ['get', cid, ...peers, '--data-dir', 'g2', '-o', 'resumed.bin', '--json']
    try {
      // 1. Killed outright (as by a crash) a fifth of the way in.
      const first = new CliProcess(args, { cwd: dir })
      await first.waitForJson(doc => doc.event === 'progress' && (doc.progress as number) >= 0.2)
      const killed = await first.stop('SIGKILL')
      expect(killed.signal).toBe('SIGKILL')
      expect(existsSync(join(dir, 'resumed.bin'))).toBe(false)

      // 2. Interrupted with Ctrl-C further on: exits 130 with a message saying how to resume.
      const second = new CliProcess(args, { cwd: dir })
      await second.waitForJson(doc => doc.event === 'progress')
      const interrupted = await second.stop('SIGINT')
      expect(interrupted.code).toBe(130)
      expect(existsSync(join(dir, 'g2', 'repo.lock'))).toBe(false)
      expect(interrupted.stderr).toMatch(/interrupted with \d+ of \d+ chunks stored; run the same command again to resume/)
      expect(existsSync(join(dir, 'resumed.bin'))).toBe(false)

      // 3. Run to the end: only the missing chunks are fetched.
      const third = await runCli(args, { cwd: dir, timeout: 60_000 })
      expect(third.code, third.stderr).toBe(0)
      const done = lastJson(third)
      expect(done.resumedChunks).toBeGreaterThan(0)
      expect((done.resumedChunks as number) + (done.fetchedChunks as number)).toBe(CHUNKS)
      expect(done.fetchedBytes).toBeLessThan(SIZE)
      expect(Buffer.compare(await readFile(join(dir, 'resumed.bin')), content)).toBe(0)
      expect((await readdir(dir)).filter(name => name.includes('.partial'))).toEqual([])
    } finally {
      await Promise.all(serves.map(async s => await s.proc.stop('SIGTERM')))
    }
  }, 90_000)

  it('get --seed with a strategy plugin module keeps seeding, and a second get fetches from it', async () => {
    const strategy = fileURLToPath(new URL('../../../examples/strategy-edges-first/dist/index.js', import.meta.url))
    const origin = await startServe('s1')
    const seeding = new CliProcess(['get', cid, '--peer', origin.address, '--seed', '--listen', 'tcp://127.0.0.1:0', '--strategy', strategy, '--data-dir', 'g3', '-o', 'seeded.bin', '--json'], { cwd: dir })
    try {
      const listening = await seeding.waitForJson(doc => doc.event === 'listening')
      await seeding.waitForJson(doc => doc.event === 'done')
      expect(Buffer.compare(await readFile(join(dir, 'seeded.bin')), content)).toBe(0)
      // The origin goes away: the second get can only be served by the seeding get.
      expect((await origin.proc.stop('SIGTERM')).code).toBe(0)
      const second = await runCli(['get', cid, '--peer', (listening.addresses as string[])[0], '--data-dir', 'g4', '-o', 'second.bin', '--json'], { cwd: dir })
      expect(second.code, second.stderr).toBe(0)
      expect(lastJson(second)).toMatchObject({ fetchedChunks: CHUNKS, peers: 1 })
      expect(Buffer.compare(await readFile(join(dir, 'second.bin')), content)).toBe(0)
      // Ctrl-C ends the seeding cleanly, with the exit code shells give an interrupted command.
      const stopped = await seeding.stop('SIGINT')
      expect(stopped.code, stopped.stderr).toBe(130)
      expect(stopped.stderr).not.toMatch(/error/)
    } finally {
      await Promise.all([seeding.stop('SIGKILL'), origin.proc.stop('SIGKILL')])
    }
  }, 60_000)

  it('serve and get over QUIC: the address names the peer id, and a wrong peer id is refused', async () => {
    const origin = await startServe('s2', ['--transport', 'quic', '--listen', 'quic://127.0.0.1:0'])
    try {
      expect(origin.address).toMatch(/^quic:\/\/127\.0\.0\.1:\d+\/p2p\/12D3KooW/)
      const result = await runCli(['get', cid, '--peer', origin.address, '--transport', 'quic', '--data-dir', 'g5', '-o', 'quic.bin', '--json'], { cwd: dir })
      expect(result.code, result.stderr).toBe(0)
      expect(lastJson(result)).toMatchObject({ fetchedChunks: CHUNKS, peers: 1 })
      expect(Buffer.compare(await readFile(join(dir, 'quic.bin')), content)).toBe(0)
      const impostor = origin.address.replace(/\/p2p\/.*$/, '/p2p/12D3KooWRnAjG2GQrDMJxiN9TTUUrSzk2KPWNePMZRZqoW3qp5Mf')
      const refused = await runCli(['get', cid, '--peer', impostor, '--transport', 'quic', '--data-dir', 'g6', '-o', 'no.bin'], { cwd: dir })
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/^error: No provider could be reached .*12D3KooWRnAjG2GQrDMJxiN9TTUUrSzk2KPWNePMZRZqoW3qp5Mf/)
    } finally {
      await origin.proc.stop('SIGTERM')
    }
  }, 60_000)

  it('content added with BLAKE3 is served and fetched by nodes using the default verifier', async () => {
    const added = await runCli(['add', 'content.bin', '--verifier', 'blake3', '--chunk-size', CHUNK, '--data-dir', 'b3', '--json'], { cwd: dir })
    expect(added.code, added.stderr).toBe(0)
    const blake3Cid = (lastJson(added).added as Array<{ cid: string }>)[0].cid
    expect(blake3Cid).not.toBe(cid)
    const origin = await startServe('b3')
    try {
      const result = await runCli(['get', blake3Cid, '--peer', origin.address, '--data-dir', 'g7', '-o', 'blake3.bin', '--json'], { cwd: dir })
      expect(result.code, result.stderr).toBe(0)
      expect(Buffer.compare(await readFile(join(dir, 'blake3.bin')), content)).toBe(0)
    } finally {
      await origin.proc.stop('SIGTERM')
    }
  }, 60_000)
})
