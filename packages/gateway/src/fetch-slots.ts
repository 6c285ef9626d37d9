import { TooManyFetchesError } from './errors.js'

/**
 * Bounds the contents fetched from the swarm at once on behalf of requests. Requests for one
 * content share its slot (the engine shares the download too); a request for a new content when
 * every slot is taken is refused with {@link TooManyFetchesError} (429, `Retry-After`), so a
 * flood of requests for distinct CIDs cannot start unbounded downloads.
 *
 * @example
 * ```ts
 * const slots = new FetchSlots(32)
 * const release = slots.take(cid.toString()) // throws TooManyFetchesError when full
 * try { … } finally { release() }
 * ```
 */
export class FetchSlots {
  private readonly held = new Map<string, number>()

  constructor (private readonly max: number) {}

  /** Contents being fetched now. */
  get size (): number {
    return this.held.size
  }

  /** Takes (or shares) the slot of `key`; the returned function gives it back, once. */
  take (key: string): () => void {
    const count = this.held.get(key)
    if (count === undefined && this.held.size >= this.max) {
      throw new TooManyFetchesError(`This gateway is fetching ${this.max} contents already; try again shortly`, { retryAfter: 60 })
    }
    this.held.set(key, (count ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this.held.get(key) ?? 1) - 1
      if (left === 0) this.held.delete(key)
      else this.held.set(key, left)
    }
  }
}
