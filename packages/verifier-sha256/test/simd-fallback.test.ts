import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'

const nodeHex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const wasm = (globalThis as unknown as { WebAssembly: { validate: (bytes: Uint8Array) => boolean } }).WebAssembly

afterEach(() => { vi.restoreAllMocks() })

describe('without WebAssembly SIMD', () => {
  it('the wasm-simd backend falls back to hash-wasm', async () => {
    // A runtime without SIMD rejects the kernel in WebAssembly.validate; simulate that before the
    // kernel module is first compiled in this test file's module graph.
    vi.spyOn(wasm, 'validate').mockReturnValue(false)
    const { compileSha256x4, loadWasmSimdBackend, sha256Verifier } = await import('../src/index.js')
    expect(await compileSha256x4()).toBeUndefined()
    const backend = await loadWasmSimdBackend()
    expect(backend.name).toBe('hash-wasm')
    const verifier = sha256Verifier({ backend: 'wasm-simd' })
    expect(await verifier.backend()).toBe('hash-wasm')
    const inputs = [new Uint8Array(0), new TextEncoder().encode('abc'), new Uint8Array(100_000).fill(3)]
    expect((await verifier.digestMany(inputs)).map(hex)).toEqual(inputs.map(nodeHex))
  })
})
