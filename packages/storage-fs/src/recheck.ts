import { leafBlock } from '@codio-chunk/content'
import { throwIfAborted } from '@codio-chunk/interface'
import type { Manifest } from '@codio-chunk/interface'
import type { HandleCache } from './handle-cache.js'
import type { BlockHasher } from './block-hasher.js'
import { fsCall } from './storage-error.js'
import { readFullyAt, uninitialized } from './file-io.js'

/** Bytes of chunks read and hashed together (one `digestMany` call), unless one chunk is larger. */
const BATCH_BYTES = 4 * 1024 * 1024
/** Most chunks hashed together. */
const BATCH_CHUNKS = 32

/** What {@link recheckChunks} reads from and hashes with. */
export interface RecheckInit {
  readonly manifest: Manifest
  /** The content's data file. */
  readonly dataPath: string
  readonly cache: HandleCache
  readonly hasher: BlockHasher
  /** Names the content in errors. */
  readonly key: string
  readonly signal?: AbortSignal
}

/**
 * Reads chunks back from the data file and hashes them against their CIDs, a batch at a time
 * (one buffer of about 4 MiB, reused). Resolves with the chunks that do not match, ascending.
 * Used when a content is opened after an unclean shutdown, for the chunks its journal records
 * after the last checkpoint: their data may never have reached the disk.
 *
 * @example
 * ```ts
 * const bad = await recheckChunks({ manifest, dataPath, cache, hasher, key }, [12, 40, 41])
 * ```
 */
export async function recheckChunks (init: RecheckInit, indices: readonly number[]): Promise<number[]> {
  const { manifest, dataPath, cache, hasher, key, signal } = init
  const sorted = [...indices].sort((a, b) => a - b)
  let largest = 0
  for (const index of sorted) largest = Math.max(largest, manifest.chunkLength(index))
  const buffer = uninitialized(Math.max(Math.min(BATCH_BYTES, sortedBytes(manifest, sorted)), largest))
  const bad: number[] = []
  for (let first = 0; first < sorted.length;) {
    throwIfAborted(signal, 'chunk recheck')
    const batch: number[] = []
    const blocks: Uint8Array[] = []
    let used = 0
    while (first + batch.length < sorted.length && batch.length < BATCH_CHUNKS) {
      const index = sorted[first + batch.length]
      const length = manifest.chunkLength(index)
      if (batch.length > 0 && used + length > buffer.byteLength) break
      const target = buffer.subarray(used, used + length)
      await fsCall('read', dataPath, async () => {
        await cache.use(dataPath, async handle => { await readFullyAt(handle.fd, target, manifest.chunkOffset(index), dataPath) })
      })
      batch.push(index)
      blocks.push(leafBlock(manifest, index, target))
      used += length
    }
    const matches = await hasher.matches(batch.map(index => manifest.chunkCid(index)), blocks, `the chunks of content ${key}`, signal)
    for (let k = 0; k < batch.length; k++) if (!matches[k]) bad.push(batch[k])
    first += batch.length
  }
  return bad
}

function sortedBytes (manifest: Manifest, indices: readonly number[]): number {
  let total = 0
  for (const index of indices) total += manifest.chunkLength(index)
  return total
}
