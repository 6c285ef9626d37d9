import { createHash, randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { compileSha256x4, createSha256WorkerPool, loadNodeCryptoBackend, sha256Verifier } from '../src/index.js'
import type { Sha256WorkerPool } from '../src/index.js'
import type { Verifier } from '@codio-chunk/interface'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const nodeHex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const KiB = 1024

const open: Array<{ close: () => Promise<void> }> = []
afterEach(async () => { await Promise.all(open.splice(0).map(async item => { await item.close() })) })

function track<T extends Verifier | Sha256WorkerPool> (item: T): T {
  open.push({ close: async () => { await item.close?.() } })
  return item
}

describe('sha256Verifier with worker threads', () => {
  for (const backend of ['node', 'wasm-simd', 'hash-wasm'] as const) {
    it(`digestMany on 2 ${backend} workers matches node:crypto, in order`, async () => {
      const verifier = track(sha256Verifier({ backend, workers: 2, workerMinBytes: 0 }))
      const inputs = [randomBytes(256 * KiB), randomBytes(3), new Uint8Array(0), ...Array.from({ length: 20 }, (_, i) => randomBytes(64 * KiB + i))]
      const [first, second] = await Promise.all([verifier.digestMany(inputs), verifier.digestMany(inputs.slice(1, 6))])
      expect(first.map(hex)).toEqual(inputs.map(nodeHex))
      expect(second.map(hex)).toEqual(inputs.slice(1, 6).map(nodeHex))
      first[0].fill(0)
      expect(hex(first[1])).toBe(nodeHex(inputs[1]))
    })
  }

  it('reads inputs backed by a SharedArrayBuffer in place', async () => {
    const verifier = track(sha256Verifier({ backend: 'wasm-simd', workers: 1 }))
    const shared = new Uint8Array(new SharedArrayBuffer(600 * KiB))
    shared.set(randomBytes(shared.length))
    const inputs = [shared.subarray(0, 300 * KiB), shared.subarray(300 * KiB + 1), randomBytes(100 * KiB)]
    expect((await verifier.digestMany(inputs)).map(hex)).toEqual(inputs.map(nodeHex))
  })

  it('hashes small batches on the calling thread and keeps working after close()', async () => {
    const verifier = sha256Verifier({ workers: 1 })
    const small = [randomBytes(100), randomBytes(200)]
    expect((await verifier.digestMany(small)).map(hex)).toEqual(small.map(nodeHex))
    const big = [randomBytes(128 * KiB)]
    expect((await verifier.digestMany(big)).map(hex)).toEqual(big.map(nodeHex))
    await verifier.close?.()
    await verifier.close?.()
    expect((await verifier.digestMany(big)).map(hex)).toEqual(big.map(nodeHex))
  })

  it('rejects with AbortError when the signal fires, and stays usable', async () => {
    const verifier = track(sha256Verifier({ backend: 'node', workers: 1 }))
    const inputs = Array.from({ length: 8 }, () => randomBytes(256 * KiB))
    const controller = new AbortController()
    const pending = verifier.digestMany(inputs, { signal: controller.signal })
    controller.abort(new Error('stop'))
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    expect((await verifier.digestMany(inputs)).map(hex)).toEqual(inputs.map(nodeHex))
  })

  it('rejects with InvalidConfigError for a bad worker count', () => {
    expect(() => sha256Verifier({ workers: -1 })).toThrow(/workers must be an integer/)
    expect(() => sha256Verifier({ workers: 1.5 })).toThrow(/workers must be an integer/)
  })
})

describe('createSha256WorkerPool', () => {
  for (const backend of ['node', 'wasm-simd', 'hash-wasm'] as const) {
    it(`hashes on ${backend} workers, never on the calling thread`, async () => {
      const fallback = (): Uint8Array[] => { throw new Error('hashed on the calling thread') }
      const kernel = backend === 'wasm-simd' ? await compileSha256x4() : undefined
      const pool = track(await createSha256WorkerPool({ size: 2, backend, kernel, fallback }))
      const inputs = [...Array.from({ length: 9 }, (_, i) => randomBytes(100 * KiB - i)), new Uint8Array(0)]
      expect((await pool.digestMany(inputs)).map(hex)).toEqual(inputs.map(nodeHex))
      expect((await pool.digestMany(inputs.slice(3, 4))).map(hex)).toEqual([nodeHex(inputs[3])])
    })
  }

  it('cancels queued batches with AbortError on close()', async () => {
    const main = await loadNodeCryptoBackend()
    const pool = await createSha256WorkerPool({ size: 1, backend: 'node', fallback: main.digestMany })
    const inputs = Array.from({ length: 4 }, () => randomBytes(256 * KiB))
    const settled = Promise.allSettled(Array.from({ length: 4 }, async () => await pool.digestMany(inputs)))
    await pool.close()
    const results = await settled
    expect(results.every(r => r.status === 'rejected' && (r.reason as Error).name === 'AbortError')).toBe(true)
    expect((await pool.digestMany(inputs)).map(hex)).toEqual(inputs.map(nodeHex))
  })

  it('hashes on the calling thread when a worker fails', async () => {
    const main = await loadNodeCryptoBackend()
    let fallbacks = 0
    const fallback = (inputs: readonly Uint8Array[]): Uint8Array[] => { fallbacks++; return main.digestMany(inputs) }
    // A kernel that is not a WebAssembly module makes the workers fail to start their backend.
    const pool = track(await createSha256WorkerPool({ size: 1, backend: 'wasm-simd', kernel: {}, fallback }))
    const inputs = [randomBytes(100 * KiB), randomBytes(5)]
    expect((await pool.digestMany(inputs)).map(hex)).toEqual(inputs.map(nodeHex))
    expect(fallbacks).toBe(1)
  })

  it('hashes on the calling thread when the queue is full', async () => {
    const main = await loadNodeCryptoBackend()
    let fallbacks = 0
    const fallback = (inputs: readonly Uint8Array[]): Uint8Array[] => { fallbacks++; return main.digestMany(inputs) }
    const pool = track(await createSha256WorkerPool({ size: 1, backend: 'node', fallback, maxQueued: 1 }))
    const inputs = [randomBytes(64 * KiB)]
    // One batch goes to the worker, one waits in the queue, the third finds the queue full.
    const results = await Promise.all([pool.digestMany(inputs), pool.digestMany(inputs), pool.digestMany(inputs)])
    for (const digests of results) expect(digests.map(hex)).toEqual(inputs.map(nodeHex))
    expect(fallbacks).toBe(1)
  })
})
