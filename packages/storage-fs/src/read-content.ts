import { throwIfAborted } from '@codio-chunk/interface'
import type { AbortOptions } from '@codio-chunk/interface'
import type { ContentState } from './content-state.js'
import type { HandleCache } from './handle-cache.js'
import { fsCall } from './storage-error.js'
import { readFully, uninitialized } from './file-io.js'

/**
 * Bytes per read when streaming a content: whole chunks up to this much (one chunk when chunks are
 * larger), so memory use stays bounded whatever the content size.
 */
export const READ_SIZE = 1024 * 1024

/**
 * Checks the chunks `first .. first + count - 1` laid out back to back in `bytes`: resolves true
 * when they may be yielded, false when they must be read again; rejects when one failed.
 */
export type VerifyRun = (first: number, count: number, bytes: Uint8Array) => Promise<boolean>

/**
 * Streams a complete content's data file in order, whole chunks about {@link READ_SIZE} bytes at a
 * time, each run checked by `verify` before it is yielded (chunks not verified yet are hashed, in
 * one batch per run). Each yielded buffer is new (the consumer may keep it); no file handle is held
 * between reads, so a consumer that stops early leaks nothing.
 */
export async function * streamContent (state: ContentState, cache: HandleCache, verify: VerifyRun, options?: AbortOptions): AsyncGenerator<Uint8Array> {
  const { manifest } = state
  const path = state.paths.data
  for (let first = 0; first < manifest.chunkCount;) {
    throwIfAborted(options?.signal, 'content read')
    let count = 1
    let size = manifest.chunkLength(first)
    while (first + count < manifest.chunkCount && size + manifest.chunkLength(first + count) <= READ_SIZE) {
      size += manifest.chunkLength(first + count)
      count++
    }
    const position = manifest.chunkOffset(first)
    let buffer: Uint8Array
    do {
      const target = buffer = uninitialized(size)
      await fsCall('read', path, async () => {
        await cache.use(path, async handle => { await readFully(handle, target, position, path) })
      })
    } while (!await verify(first, count, buffer))
    first += count
    if (size > 0) yield buffer
  }
}
