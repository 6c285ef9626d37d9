// The storage compliance suite against storage-idb on Chromium's own IndexedDB: the suite runs in
// Node.js (it is a vitest suite) and every Storage call is carried out in the page.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { Bitfield, ContentId, Manifest } from '@codio-chunk/core'
import { storageComplianceSuite } from '@codio-chunk/interface-tests/storage'
import { serveStatic } from '@codio-chunk/example-browser/serve.mjs'
import type { AbortOptions, Storage } from '@codio-chunk/core'
import type { Browser, Page } from 'playwright-core'
import type { Outcome, Wire } from './harness/idb-harness.js'
import { SKIPPED, hasChromium, launchChromium } from './chromium.js'

const here = dirname(fileURLToPath(import.meta.url))
let browser: Browser | undefined
let page: Page
let server: { url: string, close: () => Promise<void> } | undefined
let dir: string | undefined
let flags: { copiesOnPut: boolean, ownedReads: boolean }

function toWire (value: unknown): Wire {
  if (value instanceof ContentId) return { t: 'cid', v: value.toString() }
  if (value instanceof Manifest) return { t: 'manifest', v: Buffer.from(value.toBytes()).toString('base64') }
  if (value instanceof Uint8Array) return { t: 'bytes', v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }
  if (typeof value === 'number') return { t: 'number', v: value }
  if (value === undefined) return { t: 'undefined' }
  return { t: 'opts', aborted: (value as AbortOptions).signal?.aborted === true }
}

function fromWire (value: Wire): unknown {
  switch (value.t) {
    case 'bytes': return new Uint8Array(Buffer.from(value.v, 'base64'))
    case 'manifest': return Manifest.fromBytes(new Uint8Array(Buffer.from(value.v, 'base64')))
    case 'bitfield': return Bitfield.fromBytes(value.length, new Uint8Array(Buffer.from(value.v, 'base64')))
    case 'cid': return ContentId.parse(value.v)
    case 'list': return value.v.map(fromWire)
    case 'number': return value.v
    default: return undefined
  }
}

/** A Storage whose every call runs storage-idb in the page. */
function remoteStorage (id: number, dbName: string): Storage {
  const call = async (method: string, ...args: unknown[]): Promise<unknown> => {
    const outcome = await page.evaluate(async ([i, db, m, a]) => await (window as unknown as { idbHarness: { call: (...x: unknown[]) => Promise<Outcome> } }).idbHarness.call(i, db, m, a), [id, dbName, method, args.map(toWire)] as const)
    if ('error' in outcome) {
      const err = outcome.error.name === 'RangeError' ? new RangeError(outcome.error.message) : new Error(outcome.error.message)
      err.name = outcome.error.name
      throw err
    }
    return fromWire(outcome.ok)
  }
  return {
    name: 'idb (in Chromium)',
    copiesOnPut: flags.copiesOnPut,
    ownedReads: flags.ownedReads,
    putManifest: async (manifest, options) => { await call('putManifest', manifest, options) },
    getManifest: async (root, options) => await call('getManifest', root, options) as Manifest | undefined,
    putChunk: async (root, index, data, options) => { await call('putChunk', root, index, data, options) },
    getChunk: async (root, index, options) => await call('getChunk', root, index, options) as Uint8Array,
    completed: async (root, options) => await call('completed', root, options) as Bitfield | undefined,
    list: async (options) => await call('list', options) as ContentId[],
    delete: async (root, options) => { await call('delete', root, options) },
    async * readContent (root, options) {
      for (const part of await call('readContent', root, options) as Uint8Array[]) yield part
    },
    close: async () => { await call('close') }
  }
}

if (hasChromium) {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'codio-idb-harness-'))
    await build({
      entryPoints: [join(here, 'harness', 'idb-harness.ts')],
      outfile: join(dir, 'harness.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['@codio-chunk/source', 'browser', 'import', 'default'],
      logLevel: 'warning'
    })
    await writeFile(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>idb harness</title><script type="module" src="harness.js"></script>')
    const served = await serveStatic(dir)
    server = served
    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(served.url)
    await page.waitForFunction(() => 'idbHarness' in window, undefined, { timeout: 15_000 })
    flags = await page.evaluate(() => (window as unknown as { idbHarness: { flags: () => { copiesOnPut: boolean, ownedReads: boolean } } }).idbHarness.flags())
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  let next = 0
  storageComplianceSuite('idb (Chromium IndexedDB)', async () => {
    const id = ++next
    const dbName = `compliance-${id}`
    return {
      storage: () => remoteStorage(id, dbName),
      cleanup: async () => { await page.evaluate(async (name) => { await (window as unknown as { idbHarness: { deleteDatabase: (n: string) => Promise<void> } }).idbHarness.deleteDatabase(name) }, dbName) }
    }
  })
} else {
  describe('idb (Chromium IndexedDB) storage compliance', () => {
    it.skip(SKIPPED, () => {})
  })
}
