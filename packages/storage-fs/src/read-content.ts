import { throwIfAborted } from '@codio-chunk/interface'
import type { AbortOptions } from '@codio-chunk/interface'
import type { ContentState } from './content-state.js'
import type { HandleCache } from './handle-cache.js'
import { fsCall } from './storage-error.js'
import { readFully, uninitialized } from './file-io.js'

/** Bytes per read when streaming a content: memory use stays bounded whatever the content size. */
export const READ_SIZE = 1024 * 1024

/**
 * Streams a complete content's data file in order, {@link READ_SIZE} bytes at a time. Each yielded
 * buffer is new (the consumer may keep it); no file handle is held between reads, so a consumer that
 * stops early leaks nothing.
 */
export async function * streamContent (state: ContentState, cache: HandleCache, options?: AbortOptions): AsyncGenerator<Uint8Array> {
  const total = state.manifest.totalSize
  const path = state.paths.data
  for (let position = 0; position < total;) {
    throwIfAborted(options?.signal, 'content read')
    const buffer = uninitialized(Math.min(READ_SIZE, total - position))
    await fsCall('read', path, async () => {
      await cache.use(path, async handle => { await readFully(handle, buffer, position, path) })
    })
    position += buffer.byteLength
    yield buffer
  }
}
