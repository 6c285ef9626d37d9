// pnpm bench -- --only browser: codio-chunk in headless Chromium (Debian's /usr/bin/chromium, or
// CODIO_CHROMIUM). (1) SHA-256 in the page, MB/s (10^6 bytes per second, median of rounds) per
// backend of the verifier's browser build: the four-lane WebAssembly SIMD kernel, hash-wasm and
// Web Crypto (crypto.subtle.digest, every digest of a batch started at once), 256 KiB chunks in
// batches of 4. (2) The example page's download rate over WebSocket from 1 and from 3 Node.js
// nodes on loopback (a fresh IndexedDB each run, so nothing is resumed), MiB/s from the start of
// the download to the last chunk stored. Writes the `browser` entry of results/latest.json.
// Options: --quick (small sizes, one run), --mib N hashed per backend and round (64),
// --size N MiB downloaded (64), --runs N (3), --dry (print only, save nothing).
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import { buildPage } from '@codio-chunk/example-browser/build.mjs'
import { pageUrl, serveStatic } from '@codio-chunk/example-browser/serve.mjs'
import { startSwarm } from '@codio-chunk/example-browser/swarm.mjs'
import { saveResults } from './results.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({ args: process.argv.slice(2).filter(a => a !== '--'), strict: false, options: { quick: { type: 'boolean', default: false }, dry: { type: 'boolean', default: false }, mib: { type: 'string' }, size: { type: 'string' }, runs: { type: 'string' } } })
const mib = Number(values.mib ?? (values.quick ? 16 : 64))
const size = Number(values.size ?? (values.quick ? 16 : 64)) * 1024 * 1024
const runs = Number(values.runs ?? (values.quick ? 1 : 3))
const executablePath = process.env.CODIO_CHROMIUM ?? '/usr/bin/chromium'
const say = (line) => process.stdout.write(line + '\n')
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

if (!existsSync(executablePath)) {
  say(`browser: skipped, no Chromium at ${executablePath} (apt-get install -y chromium)`)
  process.exit(0)
}

const dir = await mkdtemp(join(tmpdir(), 'codio-bench-browser-'))
const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu'], timeout: 30_000 })
const cleanups = [async () => await rm(dir, { recursive: true, force: true }), async () => await browser.close()]
try {
  // (1) hashing
  const hashDir = join(dir, 'hash')
  await build({ entryPoints: [join(here, 'browser', 'hash-page.mjs')], outfile: join(hashDir, 'hash.js'), bundle: true, format: 'esm', platform: 'browser', conditions: ['browser', 'import', 'default'], logLevel: 'warning' })
  await writeFile(join(hashDir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>hashing</title><script type="module" src="hash.js"></script>')
  const hashServer = await serveStatic(hashDir)
  cleanups.push(hashServer.close)
  const page = await browser.newPage()
  await page.goto(hashServer.url)
  await page.waitForFunction(() => window.hashBenchReady === true, undefined, { timeout: 15_000 })
  const hashing = []
  for (const backend of ['wasm-simd', 'hash-wasm', 'webcrypto']) {
    const { backend: ran, speeds } = await page.evaluate(async (options) => await window.hashBench(options), { backend, mib, rounds: Math.max(3, runs) })
    const mbPerSecond = Math.round(median(speeds))
    hashing.push({ backend: ran, mbPerSecond, rounds: speeds.map(Math.round) })
    say(`sha256 in Chromium, ${ran.padEnd(9)} ${String(mbPerSecond).padStart(6)} MB/s  (256 KiB chunks in batches of 4, ${mib} MiB per round)`)
  }
  await page.close()

  // (2) the page's download rate from 1 and 3 nodes
  const { outDir } = await buildPage({ outDir: join(dir, 'page') })
  const server = await serveStatic(outDir)
  cleanups.push(server.close)
  const downloads = []
  for (const nodes of [1, 3]) {
    const swarm = await startSwarm({ size, nodes, liars: 0 })
    cleanups.push(swarm.stop)
    const rates = []
    for (let run = 0; run < runs; run++) {
      const tab = await browser.newPage()
      await tab.goto(pageUrl(server.url, { cid: swarm.cid.toString(), peers: swarm.nodes.map(n => n.address), db: `bench-${nodes}-${run}-${Date.now()}` }))
      await tab.waitForFunction(() => ['done', 'error'].includes(window.codioState?.status), undefined, { timeout: 120_000, polling: 100 })
      const state = await tab.evaluate(() => ({ status: window.codioState.status, error: window.codioState.error, seconds: window.codioState.downloadSeconds, backend: window.codioState.backend }))
      await tab.close()
      if (state.status !== 'done') throw new Error(`the page failed: ${state.error}`)
      rates.push(size / 1024 / 1024 / state.seconds)
    }
    await swarm.stop()
    const mibPerSecond = Math.round(median(rates) * 10) / 10
    downloads.push({ nodes, mib: size / 1024 / 1024, mibPerSecond, runs: rates.map(r => Math.round(r * 10) / 10) })
    say(`page download over WebSocket from ${nodes} node${nodes === 1 ? ' ' : 's'}  ${String(mibPerSecond).padStart(6)} MiB/s  (${size / 1024 / 1024} MiB, median of ${runs})`)
  }
  if (!values.dry) saveResults('browser', { chromium: browser.version(), hashing, downloads })
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
}
