import type { NativeStream } from './native.js'

/** Parts smaller than this are copied together into one native write; larger ones go as they are. */
const COALESCE_BELOW = 16 * 1024
/** Most bytes copied together into one native write. */
const COALESCE_MAX = 64 * 1024

/**
 * Writes to one native stream in order, one native write at a time. The binding's write runs on a
 * tokio thread and reads the JavaScript buffer while the promise is pending, so a buffer is held
 * (and never touched) until its write settles, and writes never overlap: that is what keeps this
 * transport clear of the binding's stream-write race. Small parts queued while a write is in
 * flight are copied together, so a burst of small messages costs one native call.
 */
export class StreamWriter {
  /** Runs after each native write completes (to wake `drain()` waiters). */
  onProgress: () => void
  private readonly stream: NativeStream
  private queue: Uint8Array[] = []
  private head = 0
  private queued = 0
  private running = false
  private failed: unknown
  private ending: Array<{ resolve: () => void, reject: (err: unknown) => void }> | undefined
  private ended = false

  constructor (stream: NativeStream, onProgress: () => void = () => {}) {
    this.stream = stream
    this.onProgress = onProgress
  }

  /** Bytes queued or being written. */
  get bufferedBytes (): number {
    return this.queued
  }

  /** True once a write failed (the stream was reset or the connection closed). */
  get broken (): boolean {
    return this.failed !== undefined
  }

  /** Queues bytes. The caller must not modify them afterwards. Ignored after a failure or `end()`. */
  write (bytes: Uint8Array): void {
    if (bytes.length === 0 || this.failed !== undefined || this.ending !== undefined) return
    this.queue.push(bytes)
    this.queued += bytes.length
    if (!this.running) void this.pump()
  }

  /** Writes what is queued, then ends the stream (FIN). Rejects if a write failed. */
  async end (): Promise<void> {
    if (this.failed !== undefined) throw this.failed
    if (this.ended) return
    await new Promise<void>((resolve, reject) => {
      (this.ending ??= []).push({ resolve, reject })
      if (!this.running) void this.pump()
    })
  }

  /** Abandons the stream: drops what is queued and resets the sending half. */
  reset (): void {
    if (this.failed === undefined) this.failed = new Error('stream reset')
    this.drop()
    this.stream.resetWrite().catch(() => {})
  }

  private async pump (): Promise<void> {
    this.running = true
    try {
      while (this.head < this.queue.length && this.failed === undefined) {
        const bytes = this.next()
        try {
          await this.stream.write(bytes)
        } catch (err) {
          this.failed = err
          this.drop()
          break
        }
        this.queued -= bytes.length
        this.onProgress()
      }
      if (this.ending !== undefined && this.failed === undefined && !this.ended) {
        this.ended = true
        try {
          await this.stream.finishWrite()
        } catch (err) {
          this.failed = err
        }
      }
    } finally {
      this.running = false
    }
    const waiters = this.ending
    if (waiters !== undefined && (this.ended || this.failed !== undefined)) {
      this.ending = []
      for (const waiter of waiters) this.failed === undefined ? waiter.resolve() : waiter.reject(this.failed)
    }
  }

  /** The next buffer to write: one large part, or several small ones copied together. */
  private next (): Uint8Array {
    const queue = this.queue
    const first = queue[this.head++]
    if (first.length >= COALESCE_BELOW || this.head === queue.length || queue[this.head].length >= COALESCE_BELOW) return this.compact(first)
    let end = this.head
    let total = first.length
    while (end < queue.length && queue[end].length < COALESCE_BELOW && total + queue[end].length <= COALESCE_MAX) total += queue[end++].length
    const out = Buffer.allocUnsafe(total)
    out.set(first, 0)
    let at = first.length
    for (let i = this.head; i < end; i++) {
      out.set(queue[i], at)
      at += queue[i].length
    }
    this.head = end
    return this.compact(out)
  }

  /** Forgets written entries once the queue is consumed, so it never grows without bound. */
  private compact (bytes: Uint8Array): Uint8Array {
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    } else if (this.head > 1024) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    return bytes
  }

  private drop (): void {
    this.queue = []
    this.head = 0
    this.queued = 0
  }
}
