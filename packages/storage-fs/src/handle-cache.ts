import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { sep } from 'node:path'

interface Slot {
  readonly path: string
  readonly opening: Promise<FileHandle>
  handle?: FileHandle
  refs: number
  /** Removed from the cache while in use: close it when the last user releases it. */
  doomed: boolean
}

/**
 * A bounded cache of open file handles (opened read-write, `r+`), least recently used evicted
 * first. Handles in use are never closed under their user; when every cached handle is in use the
 * cache briefly holds more than `max` and shrinks again as users release them.
 *
 * @example
 * ```ts
 * const cache = new HandleCache(32)
 * const bytes = await cache.use('/data/file', async (fh) => await fh.read(buffer, 0, 4, 0))
 * await cache.closeAll()
 * ```
 */
export class HandleCache {
  private readonly max: number
  private readonly slots = new Map<string, Slot>()
  private readonly closing = new Set<Promise<void>>()

  constructor (max: number) {
    this.max = max
  }

  /** Number of cached handles (open or opening). */
  get size (): number {
    return this.slots.size
  }

  /** Runs `fn` with an open handle of `path`; the handle stays open (and cached) while `fn` runs. */
  async use<T> (path: string, fn: (handle: FileHandle) => Promise<T>): Promise<T> {
    let slot = this.slots.get(path)
    if (slot !== undefined) {
      this.slots.delete(path) // re-insert: Map order is the recency order
    } else {
      const created: Slot = { path, opening: open(path, 'r+'), refs: 0, doomed: false }
      created.opening.then(handle => { created.handle = handle }, () => {})
      slot = created
    }
    this.slots.set(path, slot)
    slot.refs++
    try {
      let handle = slot.handle
      if (handle === undefined) {
        try {
          handle = await slot.opening
        } catch (err) {
          if (this.slots.get(path) === slot) this.slots.delete(path)
          throw err
        }
      }
      return await fn(handle)
    } finally {
      slot.refs--
      if (slot.doomed && slot.refs === 0) this.closeSlot(slot)
      this.evict()
    }
  }

  /**
   * Closes the handle of `path`, if one is cached (a handle in use closes when released), so the
   * next use opens the file again: after a rename over `path`, the cached handle is of the old file.
   */
  async close (path: string): Promise<void> {
    const slot = this.slots.get(path)
    if (slot !== undefined) {
      this.slots.delete(path)
      if (slot.refs === 0) this.closeSlot(slot)
      else slot.doomed = true
    }
    await this.settle()
  }

  /** Closes every handle of a file inside `dir` (handles in use close when released). */
  async closeUnder (dir: string): Promise<void> {
    const prefix = dir.endsWith(sep) ? dir : dir + sep
    for (const [path, slot] of this.slots) {
      if (!path.startsWith(prefix)) continue
      this.slots.delete(path)
      if (slot.refs === 0) this.closeSlot(slot)
      else slot.doomed = true
    }
    await this.settle()
  }

  /** Closes every handle. Call when no `use()` is running any more. */
  async closeAll (): Promise<void> {
    for (const slot of this.slots.values()) {
      if (slot.refs === 0) this.closeSlot(slot)
      else slot.doomed = true
    }
    this.slots.clear()
    await this.settle()
  }

  private evict (): void {
    if (this.slots.size <= this.max) return
    for (const [path, slot] of this.slots) {
      if (this.slots.size <= this.max) break
      if (slot.refs !== 0 || slot.handle === undefined) continue
      this.slots.delete(path)
      this.closeSlot(slot)
    }
  }

  private closeSlot (slot: Slot): void {
    // A failed close leaves nothing to recover: the descriptor is released either way.
    const closed = slot.opening.then(async handle => { await handle.close() }).catch(() => {})
    this.closing.add(closed)
    void closed.then(() => this.closing.delete(closed))
  }

  private async settle (): Promise<void> {
    await Promise.all([...this.closing])
  }
}
