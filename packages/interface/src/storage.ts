import type { AbortOptions } from './common.js'
import type { ContentId } from './content-id.js'
import type { Manifest } from './manifest.js'
import type { Bitfield } from './bitfield.js'

/**
 * Keeps manifests and chunk data by content id. A chunk is the file data of one DAG leaf (for raw
 * leaves that is the leaf block itself). Chunks are stored as they verify, in any order; content
 * larger than memory never has to be held whole.
 *
 * A manifest is stored before any of its chunks.
 *
 * @example
 * ```ts
 * import { memoryStorage, ContentId } from '@codio-chunk/core'
 * const storage = memoryStorage()
 * await storage.putManifest(manifest)
 * await storage.putChunk(manifest.root, 0, bytes)
 * const chunk = await storage.getChunk(manifest.root, 0)
 * ```
 */
export interface Storage {
  readonly name: string
  /**
   * True when `putChunk` never keeps `data` once its promise resolves (it wrote or copied the
   * bytes). The engine then reuses the buffer for the next chunk it receives, which saves a fresh
   * allocation per chunk. Leave it unset if the storage may hold on to `data`.
   */
  readonly copiesOnPut?: boolean
  /**
   * True when every `getChunk` resolves with a new buffer the storage keeps no reference to. The
   * engine then reuses that memory once a chunk has been sent. Leave it unset if `getChunk` may
   * return a buffer the storage still holds (as an in-memory storage does).
   */
  readonly ownedReads?: boolean
  /** Records the manifest of a content (idempotent). */
  putManifest(manifest: Manifest, options?: AbortOptions): Promise<void>
  /** The stored manifest, or undefined. */
  getManifest(root: ContentId, options?: AbortOptions): Promise<Manifest | undefined>
  /**
   * Stores chunk `index` (already verified). The manifest must have been stored first.
   * The storage may keep a reference to `data`; callers must not modify it afterwards.
   */
  putChunk(root: ContentId, index: number, data: Uint8Array, options?: AbortOptions): Promise<void>
  /**
   * Reads chunk `index`. Rejects with `NotFoundError` if it is not stored, or if the stored copy
   * turned out to be damaged: a storage that checks what it reads back (with the node's
   * `verifiers`, as storage-fs does) drops such a chunk from `completed()` and answers NotFound,
   * and the engine then tells peers it no longer holds the chunk.
   */
  getChunk(root: ContentId, index: number, options?: AbortOptions): Promise<Uint8Array>
  /** Which chunks of the content are stored (an empty bitfield of the right size if none; undefined without a manifest). */
  completed(root: ContentId, options?: AbortOptions): Promise<Bitfield | undefined>
  /** Every content with a stored manifest. */
  list(options?: AbortOptions): Promise<ContentId[]>
  /** Removes a content's manifest and chunks. No error if absent. */
  delete(root: ContentId, options?: AbortOptions): Promise<void>
  /**
   * Streams a content's bytes in order. Optional: the engine falls back to `getChunk` in order.
   * Rejects with `NotFoundError` if a chunk is missing.
   */
  readContent?(root: ContentId, options?: AbortOptions): AsyncIterable<Uint8Array>
  /** Flushes and releases resources. */
  close(): Promise<void>
}
