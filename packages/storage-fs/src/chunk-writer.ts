/** Writes `parts` back to back at `position` of one file; resolves once all of them are written. */
export type WriteParts = (parts: Uint8Array[], position: number) => Promise<void>

/** Most buffers in one vectored write (below every platform's IOV_MAX of 1024). */
const MAX_PARTS = 64
/** Most bytes in one vectored write. */
const MAX_RUN_BYTES = 16 * 1024 * 1024
/** Writes in flight per file by default: one being copied, one queued behind it. */
export const DEFAULT_WRITES_IN_FLIGHT = 2

interface Pending {
  readonly data: Uint8Array
  readonly position: number
  readonly end: number
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

/**
 * Writes the chunks of one data file with a few writes in flight. A buffered write holds the
 * file's inode lock while it copies, so writes to one file run one at a time in the kernel
 * whatever the number of threads: more in flight only keeps threads of the pool waiting (or
 * spinning) on the lock, and a download would fill the thread pool's queue, which the same node's
 * chunk reads for its uploads share. Two keep the file busy without that. Waiting chunks leave
 * oldest first, each with the chunks adjacent to it that are waiting too, as one vectored write
 * (a sequential download writes runs of chunks with one call).
 *
 * @example
 * ```ts
 * const writer = new ChunkWriter(async (parts, position) => { await writevFully(fd, parts, position) })
 * await Promise.all([writer.write(chunk1, 262144), writer.write(chunk0, 0)])
 * ```
 */
export class ChunkWriter {
  /** Waiting writes, oldest first (a Set keeps insertion order and removes in O(1)). */
  private readonly waiting = new Set<Pending>()
  private readonly byStart = new Map<number, Pending>()
  private readonly byEnd = new Map<number, Pending>()
  private active = 0

  constructor (private readonly writeParts: WriteParts, private readonly maxInFlight = DEFAULT_WRITES_IN_FLIGHT) {}

  /** Writes waiting for their turn (not counting those in flight). */
  get waitingCount (): number {
    return this.waiting.size
  }

  /** Writes `data` at `position`; resolves once it is written, rejects with the write's error. */
  async write (data: Uint8Array, position: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const pending: Pending = { data, position, end: position + data.byteLength, resolve, reject }
      this.waiting.add(pending)
      // Two writes of one range (not expected: the storage writes each chunk once) stay separate.
      if (!this.byStart.has(position)) this.byStart.set(position, pending)
      if (!this.byEnd.has(pending.end)) this.byEnd.set(pending.end, pending)
      this.pump()
    })
  }

  private pump (): void {
    while (this.active < this.maxInFlight && this.waiting.size > 0) {
      const run = this.takeRun()
      this.active++
      this.writeParts(run.map(p => p.data), run[0].position).then(
        () => { for (const p of run) p.resolve() },
        (err: unknown) => { for (const p of run) p.reject(err) }
      ).finally(() => {
        this.active--
        this.pump()
      })
    }
  }

  /** The oldest waiting write with the waiting writes adjacent to it, in file order. */
  private takeRun (): Pending[] {
    const oldest = this.waiting.values().next().value as Pending
    this.take(oldest)
    const run = [oldest]
    let bytes = oldest.data.byteLength
    for (let before = this.byEnd.get(oldest.position); before !== undefined && run.length < MAX_PARTS && bytes + before.data.byteLength <= MAX_RUN_BYTES; before = this.byEnd.get(before.position)) {
      this.take(before)
      run.unshift(before)
      bytes += before.data.byteLength
    }
    for (let after = this.byStart.get(oldest.end); after !== undefined && run.length < MAX_PARTS && bytes + after.data.byteLength <= MAX_RUN_BYTES; after = this.byStart.get(after.end)) {
      this.take(after)
      run.push(after)
      bytes += after.data.byteLength
    }
    return run
  }

  private take (pending: Pending): void {
    this.waiting.delete(pending)
    if (this.byStart.get(pending.position) === pending) this.byStart.delete(pending.position)
    if (this.byEnd.get(pending.end) === pending) this.byEnd.delete(pending.end)
  }
}
