import { abortError } from '@codio-chunk/interface'
import type { Bitfield, ChunkSet, PeerChunks } from '@codio-chunk/interface'

/**
 * Chunks after a reader's position that a download asks for before anything its strategy picks:
 * the read-ahead window. Thirty-two 256 KiB chunks (8 MiB) keep every request slot of eight
 * peers (`chunksPerPeer` 4) on chunks a reader is about to need.
 */
export const READ_WINDOW_CHUNKS = 32

/**
 * Reader windows a pick looks at, at most: with more readers of one content at once, the first
 * ones (in arrival order) get their windows first and the others get their chunks through the
 * strategy's picks, so a pick stays bounded whatever the number of readers.
 */
export const MAX_PICK_WINDOWS = 64

/**
 * One reader of a content: where it is (the chunk it needs next) and the last chunk it wants.
 * It waits for one chunk at a time ({@link ChunkReader.reach}).
 */
export class ChunkReader {
  /** The chunk the reader needs next. */
  next: number
  /** The last chunk the reader wants. */
  readonly last: number
  private waiting?: { index: number, resolve: () => void, reject: (err: Error) => void, signal?: AbortSignal, onAbort: () => void }
  private failure?: Error
  private closed = false

  constructor (private readonly readers: ContentReaders, first: number, last: number) {
    this.next = first
    this.last = last
  }

  /**
   * Moves the reader to chunk `index` and resolves once that chunk is stored (at once if it is).
   * Rejects with the download's error once it failed, or with AbortError when `signal` fires.
   */
  async reach (index: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) throw new Error('The reader is closed')
    this.next = index
    this.readers.moved()
    if (this.readers.have.get(index)) return
    if (this.failure !== undefined) throw this.failure
    if (signal?.aborted === true) throw abortError(signal, 'read')
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { this.settle((w) => { w.reject(abortError(signal as AbortSignal, 'read')) }) }
      this.waiting = { index, resolve, reject, signal, onAbort }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Chunk `index` was stored. */
  stored (index: number): void {
    if (this.waiting?.index === index) this.settle((w) => { w.resolve() })
  }

  /** The download ended: complete (no error: every chunk is stored now) or failed. */
  ended (error?: Error): void {
    if (error !== undefined) {
      this.failure = error
      this.settle((w) => { w.reject(error) })
      return
    }
    const waiting = this.waiting
    if (waiting === undefined) return
    if (this.readers.have.get(waiting.index)) this.settle((w) => { w.resolve() })
  }

  /** Stops reading: the reader's window no longer counts. Idempotent. */
  close (): void {
    if (this.closed) return
    this.closed = true
    this.settle((w) => { w.reject(new Error('The reader is closed')) })
    this.readers.remove(this)
  }

  private settle (outcome: (waiting: NonNullable<ChunkReader['waiting']>) => void): void {
    const waiting = this.waiting
    if (waiting === undefined) return
    this.waiting = undefined
    waiting.signal?.removeEventListener('abort', waiting.onAbort)
    outcome(waiting)
  }
}

/**
 * The readers of one content (`ChunkDistributor.streamContent`): what each waits for, woken when
 * the chunk is stored, and the window of chunks just after each reader's position that the
 * content's download asks peers for first, whatever its strategy ({@link ContentReaders.pick}).
 * Kept on the content's swarm while anyone reads it.
 *
 * @example
 * ```ts
 * const readers = new ContentReaders(swarm.have, () => {})
 * const reader = readers.open(0, manifest.chunkCount - 1)
 * await reader.reach(0)            // resolves once chunk 0 is stored
 * reader.close()
 * ```
 */
export class ContentReaders {
  private readonly readers = new Set<ChunkReader>()

  /**
   * @param have - the content's stored chunks (the swarm's bitfield, updated as chunks arrive)
   * @param onMoved - called when a reader moved or left (the download moves its position)
   */
  constructor (readonly have: Bitfield, private readonly onMoved: () => void) {}

  /** Readers now. */
  get size (): number {
    return this.readers.size
  }

  /** Registers a reader of chunks `first` to `last`. */
  open (first: number, last: number): ChunkReader {
    const reader = new ChunkReader(this, first, last)
    this.readers.add(reader)
    this.onMoved()
    return reader
  }

  /** The lowest position of any reader still needing a chunk, or undefined. */
  earliest (): number | undefined {
    let min: number | undefined
    for (const reader of this.readers) {
      if (reader.next <= reader.last && (min === undefined || reader.next < min)) min = reader.next
    }
    return min
  }

  /**
   * The candidate chunk `peer` has that is nearest after some reader's position, within that
   * reader's window ({@link READ_WINDOW_CHUNKS}, never past its last chunk), or undefined if no
   * window has one. Nearest by distance from the reader's position, so readers at different places
   * of one content are served in turn rather than the lowest one first. Looks at most
   * {@link READ_WINDOW_CHUNKS} candidates of {@link MAX_PICK_WINDOWS} windows.
   */
  pick (candidates: ChunkSet, peer: PeerChunks): number | undefined {
    if (candidates.size === 0 || peer.count === 0) return undefined
    let best: number | undefined
    let bestDistance = READ_WINDOW_CHUNKS
    let windows = 0
    for (const reader of this.readers) {
      if (++windows > MAX_PICK_WINDOWS) break
      const from = reader.next
      const end = Math.min(reader.last, from + bestDistance - 1)
      for (let i = candidates.nextFrom(from); i !== -1 && i <= end; i = candidates.nextFrom(i + 1)) {
        if (!peer.has(i)) continue
        // `end` keeps the search nearer than the best so far: this one is better.
        best = i
        bestDistance = i - from
        break
      }
      if (bestDistance === 0) break
    }
    return best
  }

  /** Chunk `index` was stored: wakes the readers waiting for it. */
  stored (index: number): void {
    for (const reader of this.readers) reader.stored(index)
  }

  /** @internal A reader moved. */
  moved (): void {
    this.onMoved()
  }

  /** @internal A reader closed. */
  remove (reader: ChunkReader): void {
    if (this.readers.delete(reader)) this.onMoved()
  }
}
