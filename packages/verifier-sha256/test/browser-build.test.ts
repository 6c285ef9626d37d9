import { createHash } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { bundleForBrowser } from '@codio-chunk/interface-tests/browser-bundle'
import { verifierComplianceSuite } from '@codio-chunk/interface-tests/verifier'
import { sha256Verifier as browserVerifier } from '../src/browser.js'
import { loadHashWasmBackend, loadWasmSimdBackend, loadWebCryptoBackend, measureSha256Backends, sha256Verifier } from '../src/index.js'

const here = dirname(fileURLToPath(import.meta.url))
const nodeSha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest())

// The browser build's default runs here too: Node.js has WebAssembly SIMD and Web Crypto.
verifierComplianceSuite('sha256 (browser build, auto)', () => browserVerifier(), nodeSha256)

describe('choosing a backend by measurement', () => {
  it('measures each portable backend once, fastest first', async () => {
    const speeds = await measureSha256Backends(await Promise.all([loadWasmSimdBackend(), loadHashWasmBackend(), loadWebCryptoBackend(), loadHashWasmBackend()]), { chunkBytes: 16 * 1024, rounds: 2 })
    expect(speeds.map(s => s.backend).sort()).toEqual(['hash-wasm', 'wasm-simd', 'webcrypto'])
    for (let i = 1; i < speeds.length; i++) expect(speeds[i - 1].mbPerSecond).toBeGreaterThanOrEqual(speeds[i].mbPerSecond)
    expect(speeds.every(s => s.mbPerSecond > 0)).toBe(true)
  })

  it('reports the backend it picked and what it measured', async () => {
    const verifier = browserVerifier()
    const { backend, measured } = await verifier.selection()
    expect(backend).toBe(measured[0].backend)
    expect(await verifier.backend()).toBe(backend)
    expect(measured).toHaveLength(3)
  })

  it('keeps node:crypto as the default on Node.js, measuring nothing', async () => {
    expect(await sha256Verifier().selection()).toEqual({ backend: 'node', measured: [] })
  })

  it('refuses the node backend in the browser build', async () => {
    await expect(browserVerifier({ backend: 'node' }).digestMany([new Uint8Array(1)])).rejects.toMatchObject({ name: 'UnsupportedHashError', message: expect.stringMatching(/needs Node.js/) })
  })

  it('digests with Web Crypto asynchronously, every chunk of a batch at once', async () => {
    const verifier = sha256Verifier({ backend: 'webcrypto' })
    await verifier.backend()
    const pending = verifier.digest(new Uint8Array(3))
    expect(pending).toBeInstanceOf(Promise)
    expect(Buffer.from(await pending).toString('hex')).toBe(createHash('sha256').update(new Uint8Array(3)).digest('hex'))
    const shared = new Uint8Array(new SharedArrayBuffer(8)).fill(7)
    expect(Buffer.from((await verifier.digestMany([shared]))[0])).toEqual(Buffer.from(nodeSha256(shared)))
  })

  it('bundles the browser build with no Node.js built-in, through the package\'s browser condition', async () => {
    const bundle = await bundleForBrowser({ contents: 'export * from "@codio-chunk/verifier-sha256"', resolveDir: here })
    expect(bundle.errors).toEqual([])
    expect(bundle.forbiddenImports).toEqual([])
    expect(bundle.inputs.some(path => path.endsWith('src/browser.ts'))).toBe(true)
  }, 60_000)
})
