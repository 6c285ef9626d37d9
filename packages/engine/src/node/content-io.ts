import { throwIfAborted } from '@codio-chunk/interface'
import type { AbortOptions } from '@codio-chunk/interface'
import type { Storage } from '@codio-chunk/interface'
import type { Manifest } from '@codio-chunk/interface'

/** Streams a complete content from storage in order (the storage's own reader if it has one). */
export async function * readContentFrom (storage: Storage, manifest: Manifest, options: AbortOptions = {}): AsyncGenerator<Uint8Array> {
  if (storage.readContent !== undefined) {
    yield * storage.readContent(manifest.root, options)
    return
  }
  for (let i = 0; i < manifest.chunkCount; i++) {
    throwIfAborted(options.signal, 'read')
    yield await storage.getChunk(manifest.root, i, options)
  }
}

/** Reads a complete content into one buffer (one copy of each chunk). */
export async function readAll (storage: Storage, manifest: Manifest, options: AbortOptions = {}): Promise<Uint8Array> {
  const out = new Uint8Array(manifest.totalSize)
  for (let i = 0; i < manifest.chunkCount; i++) {
    throwIfAborted(options.signal, 'read')
    out.set(await storage.getChunk(manifest.root, i, options), manifest.chunkOffset(i))
  }
  return out
}

/**
 * Regroups a byte stream into pieces of the given lengths (`lengthOf(i)` for piece i; 0 ends, except
 * that an empty content's single chunk 0 has length 0). A piece that lies inside one input buffer
 * is passed as a view; others are copied once. Throws RangeError if the stream is longer than
 * the lengths allow; a shorter stream ends with a short piece.
 *
 * @example
 * ```ts
 * import { rechunk } from '@codio-chunk/core'
 * for await (const piece of rechunk([new Uint8Array(5), new Uint8Array(7)], (i) => i < 3 ? 4 : 0)) {
 *   console.log(piece.length) // 4, 4, 4
 * }
 * ```
 */
export async function * rechunk (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, lengthOf: (index: number) => number): AsyncGenerator<Uint8Array> {
  let index = 0
  let want = lengthOf(0)
  if (want === 0) {
    yield new Uint8Array(0)
    want = lengthOf(++index)
  }
  let partial: Uint8Array | undefined
  let filled = 0
  for await (const input of source) {
    let buf = input
    while (buf.length > 0) {
      if (want === 0) throw new RangeError('The stream is longer than expected')
      if (partial === undefined && buf.length >= want) {
        yield buf.subarray(0, want)
        buf = buf.subarray(want)
        want = lengthOf(++index)
        continue
      }
      partial ??= new Uint8Array(want)
      const take = Math.min(want - filled, buf.length)
      partial.set(buf.subarray(0, take), filled)
      filled += take
      buf = buf.subarray(take)
      if (filled === want) {
        yield partial
        partial = undefined
        filled = 0
        want = lengthOf(++index)
      }
    }
  }
  if (partial !== undefined) yield partial.subarray(0, filled)
}
