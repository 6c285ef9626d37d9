import { randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { memoryStorage } from '../src/memory-storage.js'
import { buildManifest } from '@codio-chunk/content'
import { NotFoundError, StorageError } from '@codio-chunk/interface'
import type { Manifest } from '@codio-chunk/interface'

// The storage compliance suite runs against memoryStorage in @codio-chunk/interface-tests
// (core cannot depend on it); these are the memory-specific checks.
describe('memoryStorage', () => {
  const content = { manifest: undefined as unknown as Manifest, chunks: [] as Uint8Array[] }
  beforeAll(async () => {
    const bytes = new Uint8Array(randomBytes(3 * 1024 + 5))
    content.manifest = await buildManifest(bytes, { chunkSize: 1024 })
    for (let i = 0; i < content.manifest.chunkCount; i++) {
      const offset = content.manifest.chunkOffset(i)
      content.chunks.push(bytes.subarray(offset, offset + content.manifest.chunkLength(i)))
    }
  })

  it('is named memory and counts contents in size', async () => {
    const storage = memoryStorage()()
    expect(storage.name).toBe('memory')
    expect(storage.size).toBe(0)
    await storage.putManifest(content.manifest)
    await storage.putManifest(content.manifest)
    expect(storage.size).toBe(1)
    await storage.delete(content.manifest.root)
    expect(storage.size).toBe(0)
  })

  it('keeps chunk references instead of copying them', async () => {
    const storage = memoryStorage()()
    await storage.putManifest(content.manifest)
    await storage.putChunk(content.manifest.root, 1, content.chunks[1])
    expect(await storage.getChunk(content.manifest.root, 1)).toBe(content.chunks[1])
  })

  it('rejects a chunk whose length does not match the manifest', async () => {
    const storage = memoryStorage()()
    await storage.putManifest(content.manifest)
    await expect(storage.putChunk(content.manifest.root, 3, new Uint8Array(6))).rejects.toThrow(RangeError)
    await expect(storage.putChunk(content.manifest.root, 0, new Uint8Array(0))).rejects.toThrow(/1024 bytes, got 0/)
    expect((await storage.completed(content.manifest.root))?.count).toBe(0)
  })

  it('returns a completed() bitfield the caller may change without affecting the storage', async () => {
    const storage = memoryStorage()()
    await storage.putManifest(content.manifest)
    const have = await storage.completed(content.manifest.root)
    have?.set(0)
    expect((await storage.completed(content.manifest.root))?.get(0)).toBe(false)
  })

  it('names the missing chunk count when reading an incomplete content', async () => {
    const storage = memoryStorage()()
    await storage.putManifest(content.manifest)
    await storage.putChunk(content.manifest.root, 0, content.chunks[0])
    const read = async (): Promise<void> => { for await (const _ of storage.readContent(content.manifest.root)) { /* drain */ } }
    await expect(read()).rejects.toThrow(NotFoundError)
    await expect(read()).rejects.toThrow(/missing 3 of 4 chunks/)
  })

  it('yields the stored chunks in order from readContent', async () => {
    const storage = memoryStorage()()
    await storage.putManifest(content.manifest)
    for (let i = content.chunks.length - 1; i >= 0; i--) await storage.putChunk(content.manifest.root, i, content.chunks[i])
    const parts: Uint8Array[] = []
    for await (const part of storage.readContent(content.manifest.root)) parts.push(part)
    expect(parts).toEqual(content.chunks)
  })

  it('rejects use after close with StorageError', async () => {
    const storage = memoryStorage()()
    await storage.putManifest(content.manifest)
    await storage.close()
    await expect(storage.getManifest(content.manifest.root)).rejects.toThrow(StorageError)
    await expect(storage.list()).rejects.toThrow(/closed/)
  })
})
