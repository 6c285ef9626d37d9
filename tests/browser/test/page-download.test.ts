// The example page in headless Chromium downloads 32 MiB from three Node.js nodes over WebSocket,
// one of which corrupts every chunk it sends: the file arrives byte-identical (SHA-256 computed in
// the page), the liar is banned, the hashing backend is reported. A first visit is cut short (the
// page navigates away mid-download); the next visit resumes from IndexedDB and fetches only the
// chunks not stored (asserted on the page's counters and on what the nodes served); a third visit
// fetches nothing. Loopback only, ports chosen by the system, every wait bounded.
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPage } from '@codio-chunk/example-browser/build.mjs'
import { pageUrl, serveStatic } from '@codio-chunk/example-browser/serve.mjs'
import { startSwarm } from '@codio-chunk/example-browser/swarm.mjs'
import type { Browser, Page } from 'playwright-core'
import { SKIPPED, hasChromium, launchChromium } from './chromium.js'

const SIZE = 32 * 1024 * 1024
const CHUNKS = SIZE / (256 * 1024)

interface PageState {
  status: string
  error?: string
  totalChunks: number
  resumedChunks: number
  resumedIndices: number[]
  fetchedChunks: number
  invalidChunks: number
  banned: Array<{ peerId: string }>
  backend?: string
  measured: Array<{ backend: string, mbPerSecond: number }>
  sha256?: string
  size?: number
  mime?: string
}

type Swarm = Awaited<ReturnType<typeof startSwarm>>

async function state (page: Page): Promise<PageState> {
  return await page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { codioState: unknown }).codioState)) as PageState)
}

describe.runIf(hasChromium)('the example page in Chromium', () => {
  let swarm: Swarm
  let browser: Browser
  let server: { url: string, close: () => Promise<void> }
  let dir: string
  let expected: string
  /** Chunk indices the honest nodes served, per visit. */
  let served: number[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'codio-browser-page-'))
    const [started, , launched] = await Promise.all([
      startSwarm({ size: SIZE, nodes: 3, liars: 1 }),
      buildPage({ outDir: dir, minify: false }),
      launchChromium()
    ])
    swarm = started
    browser = launched
    server = await serveStatic(dir)
    expected = createHash('sha256').update(swarm.bytes).digest('hex')
    for (const { node, liar } of swarm.nodes) {
      if (!liar) node.events.on('chunk:served', (event) => { served.push(event.index) })
    }
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await swarm?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('downloads from three nodes, bans the one that lies, and resumes after a reload from what IndexedDB holds', async () => {
    const page = await browser.newPage()
    page.setDefaultTimeout(30_000)
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    const peers = swarm.nodes.map(n => n.address)
    const liar = swarm.nodes.find(n => n.liar)?.peerId as string

    // First visit, slowed to 4 MiB/s, left when a quarter of the chunks are in.
    await page.goto(pageUrl(server.url, { cid: swarm.cid.toString(), peers, downloadLimit: 4 * 1024 * 1024 }))
    await page.waitForFunction((n) => (window as unknown as { codioState: PageState }).codioState.fetchedChunks >= n, CHUNKS / 4, { timeout: 30_000, polling: 50 })
    const first = await state(page)
    expect(first.status).toBe('downloading')
    expect(['wasm-simd', 'hash-wasm', 'webcrypto']).toContain(first.backend)
    expect(first.measured.map(m => m.backend).sort()).toEqual(['hash-wasm', 'wasm-simd', 'webcrypto'])

    // Second visit (same origin, same IndexedDB): resumes and finishes.
    served = []
    await page.goto(pageUrl(server.url, { cid: swarm.cid.toString(), peers }))
    await page.waitForFunction(() => ['done', 'error'].includes((window as unknown as { codioState: PageState }).codioState.status), undefined, { timeout: 60_000, polling: 100 })
    const second = await state(page)
    expect(second.error).toBeUndefined()
    expect(second.status).toBe('done')
    expect(second.sha256).toBe(expected)
    expect(second.size).toBe(SIZE)
    expect(second.mime).toBe('audio/wav')
    expect(second.totalChunks).toBe(CHUNKS)
    // At least what the first visit had verified and stored, bar the writes cut off by leaving.
    expect(second.resumedChunks).toBeGreaterThanOrEqual(CHUNKS / 8)
    expect(second.resumedChunks).toBe(second.resumedIndices.length)
    expect(second.fetchedChunks + second.resumedChunks).toBe(CHUNKS)
    const resumed = new Set(second.resumedIndices)
    expect(served.filter(index => resumed.has(index))).toEqual([])
    expect(new Set(served).size).toBe(CHUNKS - second.resumedChunks)
    expect(second.invalidChunks).toBeGreaterThanOrEqual(1)
    expect(second.banned.map(b => b.peerId)).toContain(liar)
    expect(second.banned).toHaveLength(1)

    // Third visit: everything is stored, nothing is fetched.
    served = []
    await page.goto(pageUrl(server.url, { cid: swarm.cid.toString(), peers }))
    await page.waitForFunction(() => ['done', 'error'].includes((window as unknown as { codioState: PageState }).codioState.status), undefined, { timeout: 30_000, polling: 100 })
    const third = await state(page)
    expect(third.status).toBe('done')
    expect(third.fetchedChunks).toBe(0)
    expect(third.resumedChunks).toBe(CHUNKS)
    expect(third.sha256).toBe(expected)
    expect(served).toEqual([])
    expect(errors).toEqual([])
    await page.close()
  }, 90_000)
})

if (!hasChromium) {
  describe('the example page in Chromium', () => {
    it.skip(SKIPPED, () => {})
  })
}
