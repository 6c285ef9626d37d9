import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import DHT from 'bittorrent-dht'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CliProcess, lastJson, runCli } from './cli-process.js'

// Real `codio-chunk` processes that are given no address of each other, only a plain
// bittorrent-dht node on loopback that the test starts itself: `serve` announces, `providers`
// finds it, `get` fetches from it.

let dir: string
let content: Buffer
let bootstrap: DHT
let bootstrapAddress: string
const SIZE = 2 * 1024 * 1024 + 777
/** The DHT is on for these processes, joined through the local node only. */
const DHT_ON = { CODIO_CHUNK_DHT: 'on' }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-chunk-cli-dht-'))
  content = randomBytes(SIZE)
  await writeFile(join(dir, 'content.bin'), content)
  bootstrap = new DHT({ bootstrap: false })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('the bootstrap DHT node did not listen within 10 s')) }, 10_000)
    bootstrap.listen(0, '127.0.0.1', () => { clearTimeout(timer); resolve() })
  })
  bootstrapAddress = `127.0.0.1:${bootstrap.address().port}`
})

afterAll(async () => {
  await new Promise<void>(resolve => { bootstrap.destroy(() => { resolve() }) })
  await rm(dir, { recursive: true, force: true })
})

describe('codio-chunk nodes that find each other through a DHT', () => {
  it('serve announces, providers lists it, and get fetches the content byte-identical with no --peer', async () => {
    const added = await runCli(['add', 'content.bin', '--data-dir', 'seed', '--json'], { cwd: dir })
    expect(added.code, added.stderr).toBe(0)
    const cid = ((lastJson(added).added as Array<{ cid: string }>)[0]).cid
    const serve = new CliProcess(['serve', '--data-dir', 'seed', '--listen', 'tcp://127.0.0.1:0', '--bootstrap', bootstrapAddress, '--json'], { cwd: dir, env: DHT_ON })
    try {
      const listening = await serve.waitForJson(doc => doc.event === 'listening')
      expect(listening.dht).toMatch(/:\d+$/)
      expect(listening.discovery).toEqual(['dht'])

      // The announcement lands within a few lookups; `providers` is asked until it sees it.
      let providers: Array<Record<string, unknown>> = []
      for (let attempt = 0; attempt < 10 && providers.length === 0; attempt++) {
        const result = await runCli(['providers', cid, '--bootstrap', bootstrapAddress, '--timeout', '5s', '--json'], { cwd: dir, env: DHT_ON })
        expect(result.code, result.stderr).toBe(0)
        providers = result.stdout.trim().split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>).filter(d => d.event === 'provider')
      }
      expect(providers.map(p => p.peerId)).toContain(listening.peerId)

      const got = await runCli(['get', cid, '--data-dir', 'fetch', '--bootstrap', bootstrapAddress, '-o', 'out.bin', '--json'], { cwd: dir, env: DHT_ON, timeout: 60_000 })
      expect(got.code, got.stderr).toBe(0)
      expect(lastJson(got)).toMatchObject({ event: 'done', cid, size: SIZE })
      expect(Buffer.compare(await readFile(join(dir, 'out.bin')), content)).toBe(0)
    } finally {
      await serve.stop('SIGINT')
    }
  })

  it('get with the DHT off and no --peer says how to give providers', async () => {
    const result = await runCli(['get', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '--data-dir', 'none', '--no-dht'], { cwd: dir })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/no providers: pass --peer .*\(drop --no-dht, or add --tracker/)
  })

  it('demo --discovery dht: peers told only the CID find the seeder on a local DHT', async () => {
    const result = await runCli(['demo', '--discovery', 'dht', '--peers', '3', '--size', '1MiB', '--json'], { cwd: dir, timeout: 60_000 })
    expect(result.code, result.stderr).toBe(0)
    expect(lastJson(result)).toMatchObject({ peers: 3, identical: true })
  })
})
