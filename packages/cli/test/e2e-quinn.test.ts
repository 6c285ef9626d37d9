import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CliProcess, lastJson, runCli } from './cli-process.js'

// Real `codio-chunk` processes on loopback over the quinn transport: two `serve --transport quinn`
// nodes and a `get --transport quinn` fetching from both.

let dir: string
let content: Buffer
let cid: string
const SIZE = 8 * 1024 * 1024 + 777
const CHUNKS = Math.ceil(SIZE / (256 * 1024))

async function startServe (dataDir: string): Promise<{ proc: CliProcess, address: string }> {
  const proc = new CliProcess(['serve', '--data-dir', dataDir, '--transport', 'quinn', '--listen', 'quinn://127.0.0.1:0', '--json'], { cwd: dir })
  const listening = await proc.waitForJson(doc => doc.event === 'listening')
  return { proc, address: (listening.addresses as string[])[0] }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-chunk-cli-quinn-'))
  content = randomBytes(SIZE)
  await writeFile(join(dir, 'content.bin'), content)
  const cids = await Promise.all(['q1', 'q2'].map(async (dataDir) => {
    const result = await runCli(['add', 'content.bin', '--data-dir', dataDir, '--json'], { cwd: dir })
    expect(result.code, result.stderr).toBe(0)
    return (lastJson(result).added as Array<{ cid: string }>)[0].cid
  }))
  expect(cids[0]).toBe(cids[1])
  cid = cids[0]
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('codio-chunk over quinn', () => {
  it('serve --transport quinn and get --transport quinn give a byte-identical file; a wrong peer id is refused; serve stops cleanly', async () => {
    const serves = await Promise.all(['q1', 'q2'].map(startServe))
    try {
      for (const serve of serves) expect(serve.address).toMatch(/^quinn:\/\/127\.0\.0\.1:\d+\/p2p\/12D3KooW/)
      const peers = serves.flatMap(s => ['--peer', s.address])
      const result = await runCli(['get', cid, ...peers, '--transport', 'quinn', '--data-dir', 'g1', '-o', 'out.bin', '--json'], { cwd: dir })
      expect(result.code, result.stderr).toBe(0)
      expect(lastJson(result)).toMatchObject({ event: 'done', cid, size: SIZE, chunks: CHUNKS, fetchedChunks: CHUNKS })
      expect(Buffer.compare(await readFile(join(dir, 'out.bin')), content)).toBe(0)
      const impostor = serves[0].address.replace(/\/p2p\/.*$/, '/p2p/12D3KooWRnAjG2GQrDMJxiN9TTUUrSzk2KPWNePMZRZqoW3qp5Mf')
      const refused = await runCli(['get', cid, '--peer', impostor, '--transport', 'quinn', '--data-dir', 'g2', '-o', 'no.bin'], { cwd: dir })
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/^error: No provider could be reached .*12D3KooWRnAjG2GQrDMJxiN9TTUUrSzk2KPWNePMZRZqoW3qp5Mf/)
    } finally {
      const stopped = await Promise.all(serves.map(async s => await s.proc.stop('SIGTERM')))
      for (const result of stopped) {
        expect(result.code, result.stderr).toBe(0)
        expect(lastJson(result).event).toBe('stopped')
      }
    }
  }, 60_000)
})
