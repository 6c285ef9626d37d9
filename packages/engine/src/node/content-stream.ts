import { AbortError, throwIfAborted } from '@codio-chunk/interface'
import { ContentReaders } from '../download/content-readers.js'
import { readContentFrom } from './content-io.js'
import type { AbortOptions, ContentId, Storage } from '@codio-chunk/interface'
import type { ContentSwarm } from '../swarm/swarm.js'

/** Options of `ChunkDistributor.streamContent`. */
export interface StreamOptions extends AbortOptions {
  /** First byte to yield (an offset into the content). Default 0. */
  start?: number
  /** Last byte to yield, inclusive; past the end means the last byte. Default: the last byte. */
  end?: number
  /** Provider addresses to fetch from, besides any the node's discoveries find. */
  providers?: readonly string[]
}

/** What streaming needs from the node. */
export interface ContentStreamDeps {
  storage: Storage
  /** The content's swarm with its manifest, fetched if needed (`DownloadCoordinator.resolve`). */
  swarm: (root: ContentId, providers: readonly string[], options: AbortOptions) => Promise<ContentSwarm>
  /** Starts or joins the content's shared download; settles when it ends (`DownloadCoordinator.download`). */
  download: (root: ContentId, providers: readonly string[], options: AbortOptions) => Promise<void>
}

/** A byte range, inclusive at both ends. */
export interface ByteRange {
  start: number
  end: number
}

/**
 * The bytes `start`..`end` (inclusive) of a content of `size` bytes: `end` is clamped to the last
 * byte; undefined for an empty content read from 0. Throws RangeError for offsets that are not
 * non-negative safe integers, `start > end`, or a `start` past the end of a non-empty content.
 *
 * @example
 * ```ts
 * byteRange(1000, 10, 5000)  // { start: 10, end: 999 }
 * byteRange(0)               // undefined: nothing to read
 * ```
 */
export function byteRange (size: number, start = 0, end?: number): ByteRange | undefined {
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`start must be a non-negative integer, got ${String(start)}`)
  if (end !== undefined && (!Number.isSafeInteger(end) || end < 0)) throw new RangeError(`end must be a non-negative integer, got ${String(end)}`)
  if (end !== undefined && end < start) throw new RangeError(`end (${end}) is before start (${start})`)
  if (size === 0 && start === 0) return undefined
  if (start >= size) throw new RangeError(`start ${start} is past the end of the content (${size} bytes)`)
  return { start, end: Math.min(end ?? size - 1, size - 1) }
}

/**
 * Streams bytes `start`..`end` of a content in order, as its chunks are verified and stored: the
 * manifest first (fetched if needed), then, unless every chunk of the range is held already (those
 * stream straight from storage), the content's shared download is started or joined and a reader
 * registered on the content, so the download asks for the chunks just after the reader's position
 * first. Each chunk is awaited (woken when stored, no polling), read back from storage and yielded
 * as the slice of the range it holds. Nothing is read ahead: the consumer pulls, and the reader
 * holds one chunk at a time. When the consumer stops (end of range, `break`, a thrown error or
 * `signal`), the reader leaves, and the download stops if no one else reads or awaits it (chunks
 * stored so far are kept).
 *
 * @example
 * ```ts
 * for await (const bytes of streamContent(deps, root, { start: 1_000_000, end: 1_999_999 })) socket.write(bytes)
 * ```
 */
export async function * streamContent (deps: ContentStreamDeps, root: ContentId, options: StreamOptions = {}): AsyncGenerator<Uint8Array> {
  const { signal } = options
  const providers = options.providers ?? []
  throwIfAborted(signal, 'read')
  const swarm = await deps.swarm(root, providers, { signal })
  const manifest = swarm.manifest
  const range = byteRange(manifest.totalSize, options.start, options.end)
  if (range === undefined) return
  const first = manifest.chunkAt(range.start)
  const last = manifest.chunkAt(range.end)
  const slice = (index: number, data: Uint8Array): Uint8Array => {
    const offset = manifest.chunkOffset(index)
    const from = Math.max(range.start - offset, 0)
    const to = Math.min(range.end - offset + 1, data.length)
    return from === 0 && to === data.length ? data : data.subarray(from, to)
  }
  const missing = swarm.have.nextClear(first)
  if (missing === -1 || missing > last) {
    // Held already: straight from storage (the storage's own sequential reader for a whole content).
    if (range.start === 0 && range.end === manifest.totalSize - 1 && swarm.have.complete) {
      yield * readContentFrom(deps.storage, manifest, { signal })
      return
    }
    for (let i = first; i <= last; i++) {
      throwIfAborted(signal, 'read')
      yield slice(i, await deps.storage.getChunk(root, i, { signal }))
    }
    return
  }

  const readers = readersOf(swarm)
  const reader = readers.open(first, last)
  // This reader's share of the download: given up when the reader stops, which stops the download
  // if nobody else reads or awaits it.
  const share = new AbortController()
  const forward = (): void => { share.abort(signal?.reason) }
  signal?.addEventListener('abort', forward, { once: true })
  deps.download(root, providers, { signal: share.signal }).then(() => { reader.ended() }, (err: Error) => { reader.ended(err) })
  try {
    for (let i = first; i <= last; i++) {
      await reader.reach(i, signal)
      yield slice(i, await deps.storage.getChunk(root, i, { signal }))
    }
  } finally {
    reader.close()
    if (readers.size === 0 && swarm.readers === readers) swarm.readers = undefined
    signal?.removeEventListener('abort', forward)
    share.abort(new AbortError('The reader stopped'))
  }
}

/** The readers of a content, made on first use; they keep a running download's position on the earliest of them. */
function readersOf (swarm: ContentSwarm): ContentReaders {
  const existing = swarm.readers
  if (existing instanceof ContentReaders) return existing
  const readers: ContentReaders = new ContentReaders(swarm.have, () => {
    const position = readers.earliest()
    if (position !== undefined) swarm.download?.setPosition(position)
  })
  swarm.readers = readers
  return readers
}
