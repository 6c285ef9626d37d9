import { afterEach, describe, expect, it, vi } from 'vitest'
import { ChunkBufferPool, DEFAULT_MAX_POOLED_BYTES, DEFAULT_POOL_IDLE_MS, FrameDecoder, MIN_POOLED_BYTES, chunkBuffers } from '../src/index.js'

const KiB = 1024

describe('ChunkBufferPool', () => {
  afterEach(() => { vi.useRealTimers() })

  it('hands a released buffer out again for a similar size, with the length asked for', () => {
    const pool = new ChunkBufferPool()
    const first = pool.acquire(256 * KiB + 9)
    expect(first.length).toBe(256 * KiB + 9)
    first.fill(1)
    pool.release(first.subarray(9))
    expect(pool.pooled).toBeGreaterThanOrEqual(256 * KiB + 9)
    const second = pool.acquire(256 * KiB + 3)
    expect(second.buffer).toBe(first.buffer)
    expect(second.length).toBe(256 * KiB + 3)
    expect(pool.pooled).toBe(0)
    const third = pool.acquire(256 * KiB + 9)
    expect(third.buffer).not.toBe(first.buffer)
  })

  it('ignores views of buffers it did not make, and a second release of the same buffer', () => {
    const pool = new ChunkBufferPool()
    pool.release(new Uint8Array(512 * KiB))
    pool.release(Buffer.allocUnsafe(300 * KiB))
    expect(pool.pooled).toBe(0)
    const mine = pool.acquire(128 * KiB)
    pool.release(mine)
    pool.release(mine)
    pool.release(mine.subarray(5))
    const a = pool.acquire(128 * KiB)
    const b = pool.acquire(128 * KiB)
    expect(a.buffer).toBe(mine.buffer)
    expect(b.buffer).not.toBe(mine.buffer)
  })

  it('does not pool small buffers and keeps at most maxPooledBytes of free ones', () => {
    const pool = new ChunkBufferPool({ maxPooledBytes: 600 * KiB })
    const small = pool.acquire(MIN_POOLED_BYTES - 1)
    pool.release(small)
    expect(pool.pooled).toBe(0)
    const buffers = Array.from({ length: 4 }, () => pool.acquire(256 * KiB))
    for (const buffer of buffers) pool.release(buffer)
    expect(pool.pooled).toBe(512 * KiB)
    pool.clear()
    expect(pool.pooled).toBe(0)
  })

  it('is where the frame decoder takes chunk-sized frames from', () => {
    const decoder = new FrameDecoder({ maxFrameSize: 1024 * KiB })
    const payload = new Uint8Array(200 * KiB).fill(7)
    const frame = new Uint8Array(4 + payload.length)
    new DataView(frame.buffer).setUint32(0, payload.length)
    frame.set(payload, 4)
    const frames: Uint8Array[] = []
    decoder.push(frame.subarray(0, 1000), f => frames.push(f))
    decoder.push(frame.subarray(1000), f => frames.push(f))
    expect(frames).toHaveLength(1)
    expect(Buffer.from(frames[0]).equals(Buffer.from(payload))).toBe(true)
    const before = chunkBuffers.pooled
    chunkBuffers.release(frames[0])
    expect(chunkBuffers.pooled).toBeGreaterThan(before)
    chunkBuffers.clear()
  })

  it('keeps by default as many free buffers as a download holds while its chunks are stored', () => {
    const pool = new ChunkBufferPool({ idleMs: 0 })
    const frame = 256 * KiB + 9
    // The engine's pending bound (32 MiB of chunks) plus frames arriving meanwhile all come back.
    const held = Array.from({ length: 160 }, () => pool.acquire(frame))
    for (const buffer of held) pool.release(buffer)
    expect(pool.pooled).toBe(160 * 272 * KiB)
    expect(pool.pooled).toBeLessThanOrEqual(DEFAULT_MAX_POOLED_BYTES)
    const again = Array.from({ length: 160 }, () => pool.acquire(frame))
    expect(new Set(again.map(b => b.buffer))).toEqual(new Set(held.map(b => b.buffer)))
  })

  it('lets its free buffers go after idleMs without an acquire, and keeps them while they are used', () => {
    vi.useFakeTimers()
    const pool = new ChunkBufferPool({ idleMs: 1000 })
    pool.release(pool.acquire(256 * KiB))
    expect(pool.pooled).toBe(256 * KiB)
    // Used within every period: kept.
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(900)
      pool.release(pool.acquire(256 * KiB))
    }
    vi.advanceTimersByTime(200)
    expect(pool.pooled).toBe(256 * KiB)
    // A whole period without use (the one running and one more at most): dropped.
    vi.advanceTimersByTime(2000)
    expect(pool.pooled).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    // The next release starts the timer again.
    pool.release(pool.acquire(256 * KiB))
    expect(vi.getTimerCount()).toBe(1)
    expect(DEFAULT_POOL_IDLE_MS).toBe(10_000)
  })

  it('never drops free buffers with idleMs 0', () => {
    vi.useFakeTimers()
    const pool = new ChunkBufferPool({ idleMs: 0 })
    pool.release(pool.acquire(256 * KiB))
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(60_000)
    expect(pool.pooled).toBe(256 * KiB)
  })
})

describe('ChunkBufferPool.warm', () => {
  it('puts free buffers of the size asked for on the free list until the bytes asked for are free', async () => {
    const pool = new ChunkBufferPool({ idleMs: 0 })
    const frame = 256 * KiB + 9
    await pool.warm(frame, 4 * 1024 * KiB)
    // 272 KiB buffers (sizes round up in 16 KiB steps): 15 of them fit in 4 MiB.
    expect(pool.pooled).toBe(15 * 272 * KiB)
    const got = Array.from({ length: 15 }, () => pool.acquire(frame))
    expect(pool.pooled).toBe(0)
    expect(new Set(got.map(b => b.buffer)).size).toBe(15)
    // The warmed buffers are the pool's own: given back, they are taken again.
    for (const b of got) pool.release(b)
    expect(pool.pooled).toBe(15 * 272 * KiB)
    // Warming again when enough is free makes nothing more.
    await pool.warm(frame, 4 * 1024 * KiB)
    expect(pool.pooled).toBe(15 * 272 * KiB)
  })

  it('never goes past maxPooledBytes, and does nothing for small sizes or no bytes', async () => {
    const pool = new ChunkBufferPool({ maxPooledBytes: 1024 * KiB, idleMs: 0 })
    await pool.warm(256 * KiB, 64 * 1024 * KiB)
    expect(pool.pooled).toBe(4 * 256 * KiB)
    const small = new ChunkBufferPool({ idleMs: 0 })
    await small.warm(MIN_POOLED_BYTES - 1, 1024 * KiB)
    await small.warm(256 * KiB, 0)
    await small.warm(256 * KiB, Number.NaN)
    expect(small.pooled).toBe(0)
  })

  it('stops when its signal aborts, between slices', async () => {
    const pool = new ChunkBufferPool({ idleMs: 0 })
    const controller = new AbortController()
    const warming = pool.warm(256 * KiB, 32 * 1024 * KiB, { signal: controller.signal })
    controller.abort()
    await warming
    // The first slice (4 buffers) ran before the abort was seen; nothing after it.
    expect(pool.pooled).toBe(4 * 256 * KiB)
    const before = new ChunkBufferPool({ idleMs: 0 })
    await before.warm(256 * KiB, 32 * 1024 * KiB, { signal: AbortSignal.abort() })
    expect(before.pooled).toBe(0)
  })
})
