/** Buffers of at least this many bytes are pooled; smaller ones come from the ordinary allocator. */
export const MIN_POOLED_BYTES = 64 * 1024

/** Sizes are rounded up to a multiple of this, so frames of nearly equal length share buffers. */
const SIZE_STEP = 16 * 1024

/**
 * Default bound on free buffers kept: 48 MiB. A download holds up to 32 MiB of received chunks
 * while they are verified and written (the engine's pending bound) plus the frames still arriving
 * from its peers: 130–340 buffers of 272 KiB at its peak in a 256 MiB download over TCP (`pnpm
 * bench`, storage-fs). With a 16 MiB bound, up to 235 of them were dropped when they came back, and
 * the next download in the same process allocated them again.
 */
export const DEFAULT_MAX_POOLED_BYTES = 48 * 1024 * 1024

/** Default time without an `acquire` after which the free buffers are let go: 10 s. */
export const DEFAULT_POOL_IDLE_MS = 10_000

/** Buffers {@link ChunkBufferPool.warm} makes per event-loop turn (about 1 MiB of 256 KiB frames). */
const WARM_SLICE = 4
/** Writing one byte per page of this size maps a buffer's memory. */
const PAGE_BYTES = 4096

const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate

/** Resolves on a later turn of the event loop, after the I/O already due (a zero timeout in browsers). */
async function nextTurn (): Promise<void> {
  await new Promise<void>(resolve => { if (immediate !== undefined) immediate(resolve); else setTimeout(resolve, 0) })
}

const NodeBuffer = (globalThis as { Buffer?: { from: (buffer: ArrayBuffer, offset: number, length: number) => Uint8Array } }).Buffer

/** Options of a {@link ChunkBufferPool}. */
export interface ChunkBufferPoolInit {
  /** Bytes of free buffers kept for reuse; more are left to the garbage collector. Default 48 MiB. */
  maxPooledBytes?: number
  /**
   * Milliseconds without an `acquire` after which every free buffer is dropped, so a node that
   * stopped transferring does not keep the memory of its last burst. Default 10 s; 0 never drops.
   */
  idleMs?: number
}

/**
 * A free list of the large buffers chunks arrive in. A 256 KiB chunk read from a socket needs a
 * buffer of its own; a fresh one per chunk costs page faults on untouched memory and garbage
 * collections of external memory, which `pnpm bench` measured as a large share of a download's
 * CPU. Buffers handed out here are given back with {@link ChunkBufferPool.release} by whoever
 * knows that nothing refers to them any more (the engine, once a storage that copies has stored
 * the chunk), and handed out again.
 *
 * Only buffers this pool made are ever taken back, each at most once while free, so a release of
 * any other view (or a second release) is ignored rather than corrupting someone else's bytes.
 *
 * @example
 * ```ts
 * import { ChunkBufferPool } from '@codio-chunk/core'
 * const pool = new ChunkBufferPool({ maxPooledBytes: 16 * 1024 * 1024 })
 * const frame = pool.acquire(256 * 1024 + 9)
 * // … fill it, verify and store the chunk it carries …
 * pool.release(frame)               // the next acquire of a similar size reuses its memory
 * ```
 */
export class ChunkBufferPool {
  private readonly maxPooledBytes: number
  private readonly free = new Map<number, ArrayBuffer[]>()
  /** Buffers this pool made (weakly: a buffer never released is simply collected). */
  private readonly made = new WeakSet<ArrayBuffer>()
  /** Buffers currently on a free list. */
  private readonly idle = new WeakSet<ArrayBuffer>()
  private pooledBytes = 0
  private readonly idleMs: number
  /** Acquires since the idle timer last looked; the timer runs only while buffers are free. */
  private acquiredSinceCheck = 0
  private idleTimer: ReturnType<typeof setTimeout> | undefined

  constructor (init: ChunkBufferPoolInit = {}) {
    this.maxPooledBytes = Math.max(0, init.maxPooledBytes ?? DEFAULT_MAX_POOLED_BYTES)
    this.idleMs = Math.max(0, init.idleMs ?? DEFAULT_POOL_IDLE_MS)
  }

  /** Bytes of free buffers waiting for reuse. */
  get pooled (): number {
    return this.pooledBytes
  }

  /**
   * A buffer of exactly `size` bytes (uninitialised: it may hold an earlier chunk's bytes). Sizes
   * under {@link MIN_POOLED_BYTES} are allocated as usual and never pooled.
   */
  acquire (size: number): Uint8Array {
    if (size < MIN_POOLED_BYTES) return view(new ArrayBuffer(size), size)
    this.acquiredSinceCheck++
    const capacity = Math.ceil(size / SIZE_STEP) * SIZE_STEP
    const list = this.free.get(capacity)
    const reused = list?.pop()
    if (reused !== undefined) {
      this.idle.delete(reused)
      this.pooledBytes -= capacity
      return view(reused, size)
    }
    const buffer = new ArrayBuffer(capacity)
    this.made.add(buffer)
    return view(buffer, size)
  }

  /**
   * Gives back the buffer under `bytes` (any view of it) for reuse. The caller promises that
   * nothing reads or writes that buffer any more. Views of buffers this pool did not make, and
   * buffers already given back, are ignored.
   */
  release (bytes: Uint8Array): void {
    const buffer = bytes.buffer
    if (!(buffer instanceof ArrayBuffer) || !this.made.has(buffer) || this.idle.has(buffer)) return
    if (this.pooledBytes + buffer.byteLength > this.maxPooledBytes) return
    let list = this.free.get(buffer.byteLength)
    if (list === undefined) {
      list = []
      this.free.set(buffer.byteLength, list)
    }
    list.push(buffer)
    this.idle.add(buffer)
    this.pooledBytes += buffer.byteLength
    this.watchIdle()
  }

  /**
   * Puts free buffers for `size`-byte requests on the free list until `bytes` of them are free
   * (never past the pool's bound), with one byte written in every 4 KiB page so the memory is
   * mapped now. A fresh process otherwise takes those page faults inside its first socket reads,
   * which measured slower than the faults themselves: the first tens of MiB of a download came in
   * at about half the rate. Works a few buffers per event-loop turn, so arriving data is not held
   * up; resolves when done or when `signal` aborts. Buffers left unused are dropped with the rest
   * after the idle time. Sizes under {@link MIN_POOLED_BYTES} are not pooled: nothing to do.
   *
   * @example
   * ```ts
   * // A download of 256 KiB chunks is about to start: have 16 MiB of frame buffers ready.
   * void chunkBuffers.warm(256 * 1024 + 64, 16 * 1024 * 1024)
   * ```
   */
  async warm (size: number, bytes: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (size < MIN_POOLED_BYTES || !(bytes > 0)) return
    const capacity = Math.ceil(size / SIZE_STEP) * SIZE_STEP
    const target = Math.min(bytes, this.maxPooledBytes)
    for (;;) {
      for (let i = 0; i < WARM_SLICE; i++) {
        if (options.signal?.aborted === true) return
        const free = (this.free.get(capacity)?.length ?? 0) * capacity
        if (free + capacity > target || this.pooledBytes + capacity > this.maxPooledBytes) return
        const buffer = new ArrayBuffer(capacity)
        const touch = new Uint8Array(buffer)
        for (let at = 0; at < capacity; at += PAGE_BYTES) touch[at] = 0
        this.made.add(buffer)
        this.release(view(buffer, capacity))
      }
      await nextTurn()
    }
  }

  /** Drops every free buffer (for tests, or to return memory after a burst). */
  clear (): void {
    this.free.clear()
    this.pooledBytes = 0
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    this.idleTimer = undefined
  }

  /** Starts the idle timer if it is not running: it never keeps a process alive. */
  private watchIdle (): void {
    if (this.idleMs === 0 || this.idleTimer !== undefined) return
    this.acquiredSinceCheck = 0
    const timer = setTimeout(this.checkIdle, this.idleMs)
    ;(timer as { unref?: () => void }).unref?.()
    this.idleTimer = timer
  }

  private readonly checkIdle = (): void => {
    this.idleTimer = undefined
    if (this.acquiredSinceCheck === 0) this.clear()
    else if (this.pooledBytes > 0) this.watchIdle()
  }
}

function view (buffer: ArrayBuffer, size: number): Uint8Array {
  return NodeBuffer !== undefined ? NodeBuffer.from(buffer, 0, size) : new Uint8Array(buffer, 0, size)
}

/**
 * The process-wide pool the wire frame decoder takes large frames from and the engine gives them
 * back to. Keeps at most 48 MiB of free buffers (about 180 frames of a 256 KiB chunk) and drops
 * them after 10 s without use.
 */
export const chunkBuffers = new ChunkBufferPool()
