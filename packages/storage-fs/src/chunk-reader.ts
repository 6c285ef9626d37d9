import { leafBlock } from '@codio-chunk/content'
import { NotFoundError } from '@codio-chunk/interface'
import type { BufferPool, Logger } from '@codio-chunk/interface'
import type { ContentState } from './content-state.js'
import type { HandleCache } from './handle-cache.js'
import type { BlockHasher } from './block-hasher.js'
import { fsCall } from './storage-error.js'
import { readFullyAt, uninitialized } from './file-io.js'

/** What a {@link ChunkReader} reads with. */
export interface ChunkReaderInit {
  readonly cache: HandleCache
  readonly hasher: BlockHasher
  /** Where chunk buffers come from; without a pool, each chunk gets fresh memory. */
  readonly buffers?: BufferPool
  readonly log: Logger
  /** False once the storage is closing: a drop then leaves the journal to be fixed when next opened. */
  readonly isOpen: () => boolean
}

/**
 * Reads chunks back from a content's data file and never lets bytes out that do not hash to their
 * CID. Each chunk is checked on its first read after the content was opened (its leaf block: the
 * bytes themselves for raw leaves, the rebuilt dag-pb leaf for CIDv0 content), and remembered as
 * verified in the content's `verified` bitfield; chunks `putChunk` wrote in this session are
 * verified already. A chunk that fails is dropped for good: its bit is cleared from `have` at once
 * and its record from the journal (rewritten atomically), and the read rejects with
 * `NotFoundError`, so downloading the content again repairs it.
 *
 * @example
 * ```ts
 * const reader = new ChunkReader({ cache, hasher: new BlockHasher(verifiers), log, isOpen: () => true })
 * const bytes = await reader.read(state, 3) // checked on this first read, not on later ones
 * ```
 */
export class ChunkReader {
  private readonly init: ChunkReaderInit
  /** Journal rewrites of drops still running; `settle` waits for them. */
  private readonly drops = new Set<Promise<unknown>>()

  constructor (init: ChunkReaderInit) {
    this.init = init
  }

  /**
   * Chunk `index` (in range), read into a buffer of the pool and checked if not verified yet.
   * Rejects with `NotFoundError` if it is not stored or failed verification (and was dropped),
   * `UnsupportedHashError` if its hash cannot be computed, `StorageError` if the file fails.
   */
  async read (state: ContentState, index: number, signal?: AbortSignal): Promise<Uint8Array> {
    const { manifest, paths } = state
    const length = manifest.chunkLength(index)
    const position = manifest.chunkOffset(index)
    for (;;) {
      if (!state.have.get(index)) {
        throw new NotFoundError(`Chunk ${index} of content ${state.key} is not stored yet: download it first`)
      }
      const buffer = this.init.buffers?.acquire(length) ?? uninitialized(length)
      let good: boolean
      try {
        await fsCall('read', paths.data, async () => {
          await this.init.cache.use(paths.data, async handle => { await readFullyAt(handle.fd, buffer, position, paths.data) })
        })
        good = await this.verifyRun(state, index, 1, buffer, signal)
      } catch (err) {
        this.init.buffers?.release(buffer)
        throw err
      }
      if (good) return buffer
      this.init.buffers?.release(buffer) // rewritten and verified meanwhile: read it again
    }
  }

  /**
   * Checks the chunks `first .. first + count - 1`, whose bytes lie back to back in `bytes`, that
   * are not verified yet, with one hash batch. Resolves true when every one matches its CID (and
   * marks them verified); false when one did not match but was verified by a write meanwhile, so
   * the caller reads again. Otherwise drops the failed chunks and rejects with `NotFoundError`.
   */
  async verifyRun (state: ContentState, first: number, count: number, bytes: Uint8Array, signal?: AbortSignal): Promise<boolean> {
    const { manifest } = state
    const indices: number[] = []
    const blocks: Uint8Array[] = []
    let at = 0
    for (let index = first; index < first + count; index++) {
      const length = manifest.chunkLength(index)
      if (!state.verified.get(index)) {
        indices.push(index)
        blocks.push(leafBlock(manifest, index, bytes.subarray(at, at + length)))
      }
      at += length
    }
    if (indices.length === 0) return true
    const cids = indices.map(index => manifest.chunkCid(index))
    const matches = await this.init.hasher.matches(cids, blocks, `the chunks of content ${state.key}`, signal)
    const bad: number[] = []
    let stale = false
    for (let k = 0; k < indices.length; k++) {
      const index = indices[k]
      if (matches[k]) {
        if (state.have.get(index)) state.verified.set(index)
      } else if (state.verified.get(index)) {
        stale = true
      } else {
        bad.push(index)
      }
    }
    if (bad.length > 0) {
      const failure = await this.drop(state, bad)
      const cid = manifest.chunkCid(bad[0]).toString()
      throw new NotFoundError(`Chunk ${bad[0]} of content ${state.key} failed verification: the stored copy does not hash to its CID ${cid} (the data file was changed outside codio-chunk, or the disk is failing), so it was dropped; download the content again to repair it`, failure === undefined ? undefined : { cause: failure })
    }
    return !stale
  }

  /** Resolves once the journal rewrites of every drop so far have finished. */
  async settle (): Promise<void> {
    await Promise.all([...this.drops])
  }

  /**
   * Forgets chunks that failed verification: in memory at once, in the journal by a rewrite.
   * Resolves with the rewrite's error, if it failed (the chunk is then checked and dropped again
   * when the content is next opened).
   */
  private async drop (state: ContentState, indices: number[]): Promise<unknown> {
    const gone = indices.filter(index => state.have.get(index))
    for (const index of gone) state.have.set(index, false)
    if (gone.length === 0) return undefined
    this.init.log.error('chunks %s of %s failed verification against their CIDs and were dropped', gone.join(', '), state.key)
    // A content forgotten meanwhile (evicted, deleted) or a storage closing: the next open finds
    // the records and checks the chunks again.
    if (state.retired || !this.init.isOpen()) return undefined
    const rewrite = state.journal.remove(gone).then(() => undefined, (err: unknown) => err)
    this.drops.add(rewrite)
    void rewrite.then(() => this.drops.delete(rewrite))
    return await rewrite
  }
}
