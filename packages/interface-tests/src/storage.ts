import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ContentId, Manifest } from '@codio-chunk/interface'
import { ChunkBufferPool, createComponents } from '@codio-chunk/protocol'
import type { BufferPool, ManifestBlock, Storage, StorageFactory } from '@codio-chunk/interface'

/**
 * What a storage suite factory returns: the storage's factory, as a node takes it (the suite calls
 * it with a node's components), and how to dispose of what it made.
 */
export interface StorageFixture {
  /** Makes a fresh, empty storage, e.g. `fsStorage({ dir })`. */
  storage: StorageFactory
  /** Called after `storage.close()`, e.g. to remove a temporary directory. */
  cleanup?: () => Promise<void>
}

/** A buffer pool that remembers the buffers it lent, so the suite can check who owns them. */
class LendingPool implements BufferPool {
  readonly lent = new Set<ArrayBufferLike>()
  private readonly pool = new ChunkBufferPool({ idleMs: 0 })

  acquire (size: number): Uint8Array {
    const bytes = this.pool.acquire(size)
    this.lent.add(bytes.buffer)
    return bytes
  }

  release (bytes: Uint8Array): void {
    this.pool.release(bytes)
  }
}

/** A content made for tests: its bytes, its chunks (views into `bytes`) and its manifest. */
export interface TestContent {
  bytes: Uint8Array
  chunks: Uint8Array[]
  manifest: Manifest
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** RFC 4648 base32, lowercase, unpadded: the multibase `b` encoding CIDv1 strings use. */
function base32 (bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
    buffer &= (1 << bits) - 1
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31]
  return out
}

/** A CIDv1 with a SHA-256 multihash of `bytes`, for a codec below 0x80 (raw 0x55, dag-pb 0x70). */
function sha256Cid (codec: number, bytes: Uint8Array): ContentId {
  const digest = createHash('sha256').update(bytes).digest()
  const cid = new Uint8Array(4 + digest.length)
  cid.set([0x01, codec, 0x12, digest.length])
  cid.set(digest, 4)
  return ContentId.parse('b' + base32(cid))
}

/**
 * Makes a manifest for the given chunks without the content module's importer: each chunk gets its
 * true raw-leaf CID (`CIDv1(raw, sha2-256(chunk))`); the root is a dag-pb CID over the chunk CIDs
 * and comes with one interior block, so manifest round-trips exercise `blocks` too. Chunks are only
 * hashed, never kept, so a generator can describe content larger than memory.
 *
 * @example
 * ```ts
 * import { testManifest } from '@codio-chunk/interface-tests/storage'
 * const manifest = testManifest([new Uint8Array(4), new Uint8Array(2)])
 * manifest.chunkCount // 2
 * ```
 */
export function testManifest (chunks: Iterable<Uint8Array>): Manifest {
  const cids = []
  const sizes = []
  const rootHash = createHash('sha256')
  for (const chunk of chunks) {
    const cid = sha256Cid(0x55, chunk).cid
    cids.push(cid)
    sizes.push(chunk.byteLength)
    rootHash.update(cid.bytes)
  }
  const blockBytes = new Uint8Array(rootHash.digest())
  const root = sha256Cid(0x70, blockBytes).cid
  const blocks: ManifestBlock[] = [{ cid: root, bytes: blockBytes }]
  return new Manifest({ root, chunks: cids, sizes, blocks })
}

/**
 * Fills `length` bytes deterministically from `seed` (xorshift32), so tests need no fixtures.
 *
 * @example
 * ```ts
 * import { testBytes } from '@codio-chunk/interface-tests/storage'
 * testBytes(16, 1) // the same 16 bytes every run
 * ```
 */
export function testBytes (length: number, seed: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(length / 4))
  let x = (seed | 0) === 0 ? 0x9e3779b9 : seed | 0
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x
  }
  return new Uint8Array(words.buffer, 0, length)
}

/**
 * A deterministic test content of `size` bytes cut into `chunkSize` chunks (empty content is one
 * empty chunk, as in UnixFS).
 *
 * @example
 * ```ts
 * import { makeTestContent } from '@codio-chunk/interface-tests/storage'
 * const { bytes, chunks, manifest } = makeTestContent(10_000, 4096, 7)
 * chunks.length // 3
 * ```
 */
export function makeTestContent (size: number, chunkSize: number, seed = 1): TestContent {
  const bytes = testBytes(size, seed)
  const chunks: Uint8Array[] = []
  for (let offset = 0; offset < size; offset += chunkSize) {
    chunks.push(bytes.subarray(offset, Math.min(size, offset + chunkSize)))
  }
  if (chunks.length === 0) chunks.push(bytes.subarray(0, 0))
  return { bytes, chunks, manifest: testManifest(chunks) }
}

async function collect (iterable: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let length = 0
  for await (const part of iterable) {
    parts.push(part.slice())
    length += part.byteLength
  }
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

/** Plain Uint8Array copy, so Buffer subclasses compare equal to Uint8Array expectations. */
const plain = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes)

/** A fixed permutation of `0..n-1` that is neither ascending nor descending. */
function scrambled (n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i)
  let x = 12345
  for (let i = n - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    const j = x % (i + 1)
    const t = order[i]; order[i] = order[j]; order[j] = t
  }
  return order
}

/**
 * The compliance suite every {@link Storage} implementation runs. `factory` is called before each
 * test and must return the factory of a fresh, empty storage; the suite makes the storage with a
 * node's components, and closes it (and calls `cleanup`) after.
 *
 * It checks: manifest round-trip (root, chunk CIDs, sizes, blocks) and idempotent `putManifest`;
 * chunks put and read back in any order and concurrently; the `completed()` bitfield; `NotFoundError`
 * for missing manifests and chunks; out-of-range chunk indices rejecting; `list` and `delete`;
 * `readContent` (when implemented) yielding exactly the content; and `AbortError` for an aborted
 * signal; and the buffer ownership a storage declares (`copiesOnPut`: the engine reuses a chunk's
 * buffer once `putChunk` resolved; `ownedReads`: the engine reuses what `getChunk` returned once it
 * was sent). Errors are matched by `name`, so a plugin built against another copy passes too.
 *
 * @example
 * ```ts
 * // test/compliance.test.ts of a storage plugin
 * import { storageComplianceSuite } from '@codio-chunk/interface-tests/storage'
 * import { myStorage } from '../src/index.js'
 *
 * storageComplianceSuite('my-storage', async () => ({ storage: myStorage() }))
 * ```
 */
export function storageComplianceSuite (name: string, factory: () => Promise<StorageFixture>): void {
  describe(`${name} storage compliance`, () => {
    let fixture: StorageFixture
    let storage: Storage
    let pool: LendingPool
    const content = makeTestContent(5 * 1024 + 100, 1024, 11) // 6 chunks, the last one short
    const other = makeTestContent(3000, 1024, 22)

    beforeEach(async () => {
      fixture = await factory()
      pool = new LendingPool()
      storage = fixture.storage(createComponents({ buffers: pool }))
    })

    afterEach(async () => {
      await storage.close()
      await fixture.cleanup?.()
    })

    it('has a name', () => {
      expect(typeof storage.name).toBe('string')
      expect(storage.name.length).toBeGreaterThan(0)
    })

    it('round-trips a manifest: root, chunk CIDs, sizes and blocks', async () => {
      const { manifest } = content
      await storage.putManifest(manifest)
      const stored = await storage.getManifest(manifest.root)
      expect(stored).toBeDefined()
      if (stored === undefined) return
      expect(stored.root.equals(manifest.root)).toBe(true)
      expect(stored.chunkCount).toBe(manifest.chunkCount)
      expect(stored.totalSize).toBe(manifest.totalSize)
      for (let i = 0; i < manifest.chunkCount; i++) {
        expect(stored.chunkCid(i).equals(manifest.chunkCid(i))).toBe(true)
        expect(stored.chunkLength(i)).toBe(manifest.chunkLength(i))
        expect(stored.chunkOffset(i)).toBe(manifest.chunkOffset(i))
      }
      expect(stored.blocks.length).toBe(manifest.blocks.length)
      for (let i = 0; i < manifest.blocks.length; i++) {
        expect(stored.blocks[i].cid.equals(manifest.blocks[i].cid)).toBe(true)
        expect(plain(stored.blocks[i].bytes)).toEqual(plain(manifest.blocks[i].bytes))
      }
    })

    it('keeps no reference to a chunk once putChunk resolved, if it says so (copiesOnPut)', async (context) => {
      if (storage.copiesOnPut !== true) context.skip()
      await storage.putManifest(content.manifest)
      const buffer = new Uint8Array(content.chunks[1])
      await storage.putChunk(content.manifest.root, 1, buffer)
      buffer.fill(0xee) // the engine reuses it for the next chunk
      expect(hex(await storage.getChunk(content.manifest.root, 1))).toBe(hex(content.chunks[1]))
    })

    it('hands each read a buffer of its own, if it says so (ownedReads)', async (context) => {
      if (storage.ownedReads !== true) context.skip()
      await storage.putManifest(content.manifest)
      await storage.putChunk(content.manifest.root, 2, new Uint8Array(content.chunks[2]))
      const first = await storage.getChunk(content.manifest.root, 2)
      const second = await storage.getChunk(content.manifest.root, 2)
      expect(first.buffer).not.toBe(second.buffer)
      // The engine gives it back to the node's pool once sent, and the pool lends it out again.
      if (pool.lent.has(first.buffer)) pool.release(first)
      first.fill(0xee)
      expect(hex(await storage.getChunk(content.manifest.root, 2))).toBe(hex(content.chunks[2]))
      expect(hex(second)).toBe(hex(content.chunks[2]))
    })

    it('returns undefined for an unknown manifest and its completion', async () => {
      expect(await storage.getManifest(content.manifest.root)).toBeUndefined()
      expect(await storage.completed(content.manifest.root)).toBeUndefined()
    })

    it('reports an empty bitfield of the right size for a new content', async () => {
      await storage.putManifest(content.manifest)
      const have = await storage.completed(content.manifest.root)
      expect(have?.length).toBe(content.manifest.chunkCount)
      expect(have?.count).toBe(0)
    })

    it('stores and reads chunks in any order and tracks them in completed()', async () => {
      const { manifest, chunks } = content
      await storage.putManifest(manifest)
      const order = scrambled(chunks.length)
      const stored = new Set<number>()
      for (const index of order) {
        await storage.putChunk(manifest.root, index, chunks[index])
        stored.add(index)
        const have = await storage.completed(manifest.root)
        expect(have?.count).toBe(stored.size)
        for (let i = 0; i < chunks.length; i++) expect(have?.get(i)).toBe(stored.has(i))
      }
      for (const index of [...order].reverse()) {
        expect(plain(await storage.getChunk(manifest.root, index))).toEqual(plain(chunks[index]))
      }
      expect((await storage.completed(manifest.root))?.complete).toBe(true)
    })

    it('accepts concurrent puts of different chunks of one content', async () => {
      const { manifest, chunks } = content
      await storage.putManifest(manifest)
      await Promise.all(chunks.map(async (chunk, index) => { await storage.putChunk(manifest.root, index, chunk) }))
      const reads = await Promise.all(chunks.map(async (_, index) => await storage.getChunk(manifest.root, index)))
      reads.forEach((read, index) => { expect(plain(read)).toEqual(plain(chunks[index])) })
      expect((await storage.completed(manifest.root))?.count).toBe(chunks.length)
    })

    it('keeps chunks when the same manifest is stored again', async () => {
      const { manifest, chunks } = content
      await storage.putManifest(manifest)
      await storage.putChunk(manifest.root, 2, chunks[2])
      await storage.putManifest(manifest)
      expect((await storage.completed(manifest.root))?.get(2)).toBe(true)
      expect(plain(await storage.getChunk(manifest.root, 2))).toEqual(plain(chunks[2]))
    })

    it('accepts the same chunk twice', async () => {
      const { manifest, chunks } = content
      await storage.putManifest(manifest)
      await storage.putChunk(manifest.root, 1, chunks[1])
      await storage.putChunk(manifest.root, 1, chunks[1])
      expect((await storage.completed(manifest.root))?.count).toBe(1)
      expect(plain(await storage.getChunk(manifest.root, 1))).toEqual(plain(chunks[1]))
    })

    it('rejects getChunk of a missing chunk or content with NotFoundError', async () => {
      const { manifest, chunks } = content
      await expect(storage.getChunk(manifest.root, 0)).rejects.toMatchObject({ name: 'NotFoundError' })
      await storage.putManifest(manifest)
      await storage.putChunk(manifest.root, 0, chunks[0])
      await expect(storage.getChunk(manifest.root, 1)).rejects.toMatchObject({ name: 'NotFoundError' })
    })

    it('rejects putChunk before the manifest is stored', async () => {
      await expect(storage.putChunk(content.manifest.root, 0, content.chunks[0])).rejects.toThrow()
    })

    it('rejects chunk indices out of range', async () => {
      const { manifest, chunks } = content
      await storage.putManifest(manifest)
      for (const index of [-1, manifest.chunkCount, manifest.chunkCount + 1000, 1.5, Number.NaN]) {
        await expect(storage.putChunk(manifest.root, index, chunks[0])).rejects.toThrow()
        await expect(storage.getChunk(manifest.root, index)).rejects.toThrow()
      }
      expect((await storage.completed(manifest.root))?.count).toBe(0)
    })

    it('keeps contents apart', async () => {
      await storage.putManifest(content.manifest)
      await storage.putManifest(other.manifest)
      await storage.putChunk(other.manifest.root, 0, other.chunks[0])
      expect((await storage.completed(content.manifest.root))?.count).toBe(0)
      await expect(storage.getChunk(content.manifest.root, 0)).rejects.toMatchObject({ name: 'NotFoundError' })
      expect(plain(await storage.getChunk(other.manifest.root, 0))).toEqual(plain(other.chunks[0]))
    })

    it('lists every content with a stored manifest', async () => {
      expect(await storage.list()).toEqual([])
      await storage.putManifest(content.manifest)
      await storage.putManifest(other.manifest)
      const listed = (await storage.list()).map(id => id.toString()).sort()
      expect(listed).toEqual([content.manifest.root.toString(), other.manifest.root.toString()].sort())
    })

    it('deletes a content, its manifest and its chunks', async () => {
      const { manifest, chunks } = content
      await storage.putManifest(manifest)
      await storage.putManifest(other.manifest)
      await storage.putChunk(manifest.root, 0, chunks[0])
      await storage.delete(manifest.root)
      expect(await storage.getManifest(manifest.root)).toBeUndefined()
      expect(await storage.completed(manifest.root)).toBeUndefined()
      await expect(storage.getChunk(manifest.root, 0)).rejects.toMatchObject({ name: 'NotFoundError' })
      expect((await storage.list()).map(id => id.toString())).toEqual([other.manifest.root.toString()])
      await storage.delete(manifest.root) // absent: no error
      await storage.putManifest(manifest)
      expect((await storage.completed(manifest.root))?.count).toBe(0)
    })

    it('streams a complete content with readContent, exactly', async (context) => {
      if (storage.readContent === undefined) { context.skip(); return }
      const { manifest, chunks, bytes } = content
      await storage.putManifest(manifest)
      for (const index of scrambled(chunks.length)) await storage.putChunk(manifest.root, index, chunks[index])
      expect(await collect(storage.readContent(manifest.root))).toEqual(plain(bytes))
    })

    it('streams an empty content as no bytes', async (context) => {
      if (storage.readContent === undefined) { context.skip(); return }
      const empty = makeTestContent(0, 1024)
      await storage.putManifest(empty.manifest)
      await storage.putChunk(empty.manifest.root, 0, empty.chunks[0])
      expect((await storage.completed(empty.manifest.root))?.complete).toBe(true)
      expect((await collect(storage.readContent(empty.manifest.root))).byteLength).toBe(0)
    })

    it('rejects readContent of an incomplete or unknown content with NotFoundError', async (context) => {
      if (storage.readContent === undefined) { context.skip(); return }
      const { manifest, chunks } = content
      await expect(collect(storage.readContent(manifest.root))).rejects.toMatchObject({ name: 'NotFoundError' })
      await storage.putManifest(manifest)
      await storage.putChunk(manifest.root, 0, chunks[0])
      await expect(collect(storage.readContent(manifest.root))).rejects.toMatchObject({ name: 'NotFoundError' })
    })

    it('rejects every operation with AbortError when the signal is aborted', async () => {
      const { manifest, chunks } = content
      await storage.putManifest(manifest)
      await storage.putChunk(manifest.root, 0, chunks[0])
      const signal = AbortSignal.abort()
      const aborted = { name: 'AbortError' }
      await expect(storage.putManifest(other.manifest, { signal })).rejects.toMatchObject(aborted)
      await expect(storage.getManifest(manifest.root, { signal })).rejects.toMatchObject(aborted)
      await expect(storage.putChunk(manifest.root, 1, chunks[1], { signal })).rejects.toMatchObject(aborted)
      await expect(storage.getChunk(manifest.root, 0, { signal })).rejects.toMatchObject(aborted)
      await expect(storage.completed(manifest.root, { signal })).rejects.toMatchObject(aborted)
      await expect(storage.list({ signal })).rejects.toMatchObject(aborted)
      await expect(storage.delete(manifest.root, { signal })).rejects.toMatchObject(aborted)
      if (storage.readContent !== undefined) {
        await expect(collect(storage.readContent(manifest.root, { signal }))).rejects.toMatchObject(aborted)
      }
      // Nothing an aborted call was asked to do happened.
      expect(await storage.getManifest(other.manifest.root)).toBeUndefined()
      expect((await storage.completed(manifest.root))?.get(1)).toBe(false)
      expect(await storage.getManifest(manifest.root)).toBeDefined()
    })
  })
}

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
