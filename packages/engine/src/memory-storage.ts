import { NotFoundError, StorageError, throwIfAborted } from '@codio-chunk/interface'
import { Bitfield } from '@codio-chunk/interface'
import type { AbortOptions } from '@codio-chunk/interface'
import type { Storage, StorageComponents } from '@codio-chunk/interface'
import type { ContentId } from '@codio-chunk/interface'
import type { Manifest } from '@codio-chunk/interface'

/** A {@link Storage} kept in process memory, as returned by {@link memoryStorage}. */
export interface MemoryStorage extends Storage {
  /** Number of contents (stored manifests). */
  readonly size: number
  /** Streams a complete content's chunks in order (always implemented here). */
  readContent(root: ContentId, options?: AbortOptions): AsyncIterable<Uint8Array>
}

interface Entry {
  readonly manifest: Manifest
  readonly chunks: Array<Uint8Array | undefined>
  readonly have: Bitfield
}

/**
 * Storage in process memory: the embedded default, for tests, short-lived nodes and content that
 * fits in RAM. Chunks are kept by reference (never copied), so callers must not modify a buffer
 * after handing it to `putChunk`, and must not modify what `getChunk` returns.
 *
 * Index errors (`index` not an integer in `0..chunkCount - 1`, or data of the wrong length) reject
 * with `RangeError`; a missing manifest or chunk rejects with `NotFoundError`; an aborted signal
 * with `AbortError`; any use after `close()` with `StorageError`.
 *
 * `memoryStorage()` returns the factory a node takes (`storage: memoryStorage()`); outside a node,
 * call it yourself: `memoryStorage()()`.
 *
 * @example
 * ```ts
 * import { buildManifest } from '@codio-chunk/content'
 * import { memoryStorage } from '@codio-chunk/engine'
 * const bytes = new TextEncoder().encode('hello world\n')
 * const manifest = await buildManifest(bytes, { chunkSize: 256 * 1024 })
 * const storage = memoryStorage()()
 * await storage.putManifest(manifest)
 * await storage.putChunk(manifest.root, 0, bytes)
 * const chunk = await storage.getChunk(manifest.root, 0) // the same bytes
 * storage.size // 1
 * await storage.close()
 * ```
 */
export function memoryStorage (): (components?: Partial<StorageComponents>) => MemoryStorage {
  return () => openMemoryStorage()
}

function openMemoryStorage (): MemoryStorage {
  const entries = new Map<string, Entry>()
  let closed = false

  const check = (options?: AbortOptions): void => {
    if (closed) throw new StorageError('This memory storage was closed; create a new one with memoryStorage()')
    throwIfAborted(options?.signal, 'storage operation')
  }

  const entryFor = (root: ContentId): Entry | undefined => entries.get(root.toString())

  const requireEntry = (root: ContentId): Entry => {
    const entry = entryFor(root)
    if (entry === undefined) {
      throw new NotFoundError(`Content ${root.toString()} is not in storage: store its manifest with putManifest() first`)
    }
    return entry
  }

  const checkIndex = (entry: Entry, index: number): void => {
    if (!Number.isInteger(index) || index < 0 || index >= entry.manifest.chunkCount) {
      throw new RangeError(`Chunk index ${index} is out of range 0..${entry.manifest.chunkCount - 1} for content ${entry.manifest.root.toString()}`)
    }
  }

  return {
    name: 'memory',

    get size (): number {
      return entries.size
    },

    async putManifest (manifest: Manifest, options?: AbortOptions): Promise<void> {
      check(options)
      const key = manifest.root.toString()
      if (entries.has(key)) return
      entries.set(key, {
        manifest,
        chunks: new Array<Uint8Array | undefined>(manifest.chunkCount),
        have: new Bitfield(manifest.chunkCount)
      })
    },

    async getManifest (root: ContentId, options?: AbortOptions): Promise<Manifest | undefined> {
      check(options)
      return entryFor(root)?.manifest
    },

    async putChunk (root: ContentId, index: number, data: Uint8Array, options?: AbortOptions): Promise<void> {
      check(options)
      const entry = requireEntry(root)
      checkIndex(entry, index)
      const expected = entry.manifest.chunkLength(index)
      if (data.byteLength !== expected) {
        throw new RangeError(`Chunk ${index} of content ${root.toString()} is ${expected} bytes, got ${data.byteLength}`)
      }
      entry.chunks[index] = data
      entry.have.set(index)
    },

    async getChunk (root: ContentId, index: number, options?: AbortOptions): Promise<Uint8Array> {
      check(options)
      const entry = requireEntry(root)
      checkIndex(entry, index)
      const chunk = entry.chunks[index]
      if (chunk === undefined) {
        throw new NotFoundError(`Chunk ${index} of content ${root.toString()} is not stored yet: download it first`)
      }
      return chunk
    },

    async completed (root: ContentId, options?: AbortOptions): Promise<Bitfield | undefined> {
      check(options)
      return entryFor(root)?.have.clone()
    },

    async list (options?: AbortOptions): Promise<ContentId[]> {
      check(options)
      return [...entries.values()].map(entry => entry.manifest.root)
    },

    async delete (root: ContentId, options?: AbortOptions): Promise<void> {
      check(options)
      entries.delete(root.toString())
    },

    async * readContent (root: ContentId, options?: AbortOptions): AsyncGenerator<Uint8Array> {
      check(options)
      const entry = requireEntry(root)
      const missing = entry.manifest.chunkCount - entry.have.count
      if (missing > 0) {
        throw new NotFoundError(`Content ${root.toString()} is missing ${missing} of ${entry.manifest.chunkCount} chunks: finish downloading it before reading it`)
      }
      for (let i = 0; i < entry.chunks.length; i++) {
        throwIfAborted(options?.signal, 'content read')
        // Every chunk is present: the bitfield is complete and chunks are never removed from an entry.
        yield entry.chunks[i] as Uint8Array
      }
    },

    async close (): Promise<void> {
      closed = true
      entries.clear()
    }
  }
}
