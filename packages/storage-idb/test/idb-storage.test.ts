import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { describe, expect, it } from 'vitest'
import { bundleForBrowser } from '@codio-chunk/interface-tests/browser-bundle'
import { makeTestContent } from '@codio-chunk/interface-tests/storage'
import { idbStorage } from '../src/index.js'
import type { IdbFactory, IdbKeyRangeStatic, IdbStorageInit } from '../src/index.js'

const here = dirname(fileURLToPath(import.meta.url))

function fake (name = 'test'): Required<IdbStorageInit> {
  return { name, indexedDB: new IDBFactory() as unknown as IdbFactory, IDBKeyRange: IDBKeyRange as unknown as IdbKeyRangeStatic }
}

describe('idbStorage', () => {
  it('keeps manifests and chunks for the next page (a new storage on the same database)', async () => {
    const init = fake()
    const content = makeTestContent(5000, 1024, 3)
    const first = idbStorage(init)()
    await first.putManifest(content.manifest)
    await Promise.all([0, 2, 4].map(async (i) => { await first.putChunk(content.manifest.root, i, content.chunks[i]) }))
    await first.close()

    const second = idbStorage(init)()
    const have = await second.completed(content.manifest.root)
    expect([0, 1, 2, 3, 4].map(i => have?.get(i))).toEqual([true, false, true, false, true])
    expect(new Uint8Array(await second.getChunk(content.manifest.root, 2))).toEqual(new Uint8Array(content.chunks[2]))
    expect((await second.list()).map(String)).toEqual([content.manifest.root.toString()])
    await second.close()
    // Another database name is another store.
    const other = idbStorage({ ...init, name: 'other' })()
    expect(await other.list()).toEqual([])
    await other.close()
  })

  it('stores a chunk given as a view of a larger buffer as exactly its bytes', async () => {
    const storage = idbStorage(fake())()
    const content = makeTestContent(2048, 1024, 5)
    await storage.putManifest(content.manifest)
    const big = new Uint8Array(64 * 1024)
    big.set(content.chunks[1], 1000)
    await storage.putChunk(content.manifest.root, 1, big.subarray(1000, 2024))
    const read = await storage.getChunk(content.manifest.root, 1)
    expect(read.buffer.byteLength).toBe(1024)
    expect(new Uint8Array(read)).toEqual(new Uint8Array(content.chunks[1]))
    await storage.close()
  })

  it('refuses a chunk of the wrong length, and use after close', async () => {
    const storage = idbStorage(fake())()
    const content = makeTestContent(2048, 1024, 6)
    await storage.putManifest(content.manifest)
    await expect(storage.putChunk(content.manifest.root, 0, new Uint8Array(10))).rejects.toThrow(RangeError)
    await storage.close()
    await expect(storage.list()).rejects.toMatchObject({ name: 'StorageError' })
  })

  it('says how to run without IndexedDB', () => {
    expect(() => idbStorage()()).toThrow(/needs IndexedDB/)
  })

  it('bundles for the browser without any Node.js built-in', async () => {
    const bundle = await bundleForBrowser({ file: join(here, '..', 'src', 'index.ts') })
    expect(bundle.errors).toEqual([])
    expect(bundle.forbiddenImports).toEqual([])
  }, 60_000)
})
