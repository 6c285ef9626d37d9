import type { ChunkSet, PeerChunks } from '@codio-chunk/interface'

/** Options of {@link IndexedChunkSet}. */
export interface IndexedChunkSetOptions {
  /**
   * A position map shared by several sets that partition the same indices (each index in at most
   * one of them at a time), such as rarity buckets: they then need no map of their own. Its length
   * must be at least `capacity`. Leave unset unless the sets are disjoint.
   */
  sharedPositions?: Int32Array
}

/** Smallest member array a growable set starts with. */
const MIN_DENSE = 16

/**
 * A set of chunk indices `0..capacity-1` with O(1) `add`, `delete`, `has`, `sample` and `at`, and a
 * `nextFrom` that skips absent runs 32 indices at a time (and 1024 words at a time through a
 * summary bitmap), so ordered scans stay fast over millions of chunks.
 *
 * Members live in a dense array (swap-removed on delete, which gives `at` and `sample`) with a
 * position map, next to a two-level bitmap for `has` and `nextFrom`.
 *
 * @example
 * ```ts
 * import { IndexedChunkSet } from '@codio-chunk/core'
 * const needed = new IndexedChunkSet(1000, 'full')
 * needed.delete(0)
 * needed.size           // 999
 * needed.nextFrom(0)    // 1
 * needed.add(0)         // true
 * needed.sample(Math.random) // some index in 0..999
 * ```
 */
export class IndexedChunkSet implements ChunkSet {
  /** Indices the set can hold: `0..capacity-1`. */
  readonly capacity: number
  private count = 0
  private dense: Int32Array
  private readonly positions: Int32Array
  private readonly bits: Uint32Array
  private readonly summary: Uint32Array

  /**
   * @param capacity - number of possible indices (the content's chunk count)
   * @param initial - `'empty'` (default) or `'full'` (every index `0..capacity-1` present)
   */
  constructor (capacity: number, initial: 'empty' | 'full' = 'empty', options: IndexedChunkSetOptions = {}) {
    if (!Number.isSafeInteger(capacity) || capacity < 0 || capacity > 0x7fffffff) {
      throw new RangeError(`IndexedChunkSet capacity must be an integer in 0..2^31-1, got ${capacity}`)
    }
    const shared = options.sharedPositions
    if (shared !== undefined && shared.length < capacity) {
      throw new RangeError(`The shared position map holds ${shared.length} entries, the set needs ${capacity}`)
    }
    this.capacity = capacity
    const words = Math.ceil(capacity / 32)
    this.bits = new Uint32Array(words)
    this.summary = new Uint32Array(Math.ceil(words / 32))
    this.positions = shared ?? new Int32Array(capacity)
    if (initial === 'full') {
      this.dense = new Int32Array(capacity)
      for (let i = 0; i < capacity; i++) {
        this.dense[i] = i
        this.positions[i] = i
      }
      this.count = capacity
      fillBits(this.bits, capacity)
      fillBits(this.summary, words)
    } else {
      this.dense = new Int32Array(Math.min(capacity, MIN_DENSE))
    }
  }

  /** How many indices are in the set. */
  get size (): number { return this.count }

  has (index: number): boolean {
    return (index >>> 0) === index && index < this.capacity && (this.bits[index >>> 5] & (1 << (index & 31))) !== 0
  }

  /**
   * Adds `index`. Returns true if it was absent. Throws `RangeError` for an index outside
   * `0..capacity-1`.
   */
  add (index: number): boolean {
    if ((index >>> 0) !== index || index >= this.capacity) {
      throw new RangeError(`Chunk index ${index} is out of range 0..${this.capacity - 1}`)
    }
    const w = index >>> 5
    const mask = 1 << (index & 31)
    const word = this.bits[w]
    if ((word & mask) !== 0) return false
    if (word === 0) this.summary[w >>> 5] |= 1 << (w & 31)
    this.bits[w] = word | mask
    if (this.count === this.dense.length) this.grow()
    this.dense[this.count] = index
    this.positions[index] = this.count
    this.count++
    return true
  }

  /** Removes `index`. Returns true if it was present; false (never throws) otherwise. */
  delete (index: number): boolean {
    if (!this.has(index)) return false
    const w = index >>> 5
    const word = this.bits[w] & ~(1 << (index & 31))
    this.bits[w] = word
    if (word === 0) this.summary[w >>> 5] &= ~(1 << (w & 31))
    const k = this.positions[index]
    const last = this.dense[--this.count]
    this.dense[k] = last
    this.positions[last] = k
    return true
  }

  /** The smallest member `>= from`, or -1. Skips absent runs a 32-bit word at a time. */
  nextFrom (from: number): number {
    if (!(from > 0)) from = 0
    else if (!Number.isInteger(from)) from = Math.ceil(from)
    if (from >= this.capacity) return -1
    const bits = this.bits
    let w = from >>> 5
    const word = bits[w] & (0xffffffff << (from & 31))
    if (word !== 0) return (w << 5) + lowestBit(word)
    w++
    if (w >= bits.length) return -1
    const summary = this.summary
    let s = w >>> 5
    let sw = summary[s] & (0xffffffff << (w & 31))
    while (sw === 0) {
      if (++s >= summary.length) return -1
      sw = summary[s]
    }
    w = (s << 5) + lowestBit(sw)
    return (w << 5) + lowestBit(bits[w])
  }

  /** A uniformly random member (`random()` in [0, 1)), or -1 if the set is empty. O(1). */
  sample (random: () => number): number {
    if (this.count === 0) return -1
    const k = Math.floor(random() * this.count)
    return this.dense[k >= this.count || k < 0 ? this.count - 1 : k]
  }

  /** The member at position `k` (`0 <= k < size`) of an arbitrary but stable order, or -1 outside it. */
  at (k: number): number {
    return (k >>> 0) === k && k < this.count ? this.dense[k] : -1
  }

  /** Iterates the members in ascending order. */
  * [Symbol.iterator] (): IterableIterator<number> {
    for (let i = this.nextFrom(0); i !== -1; i = this.nextFrom(i + 1)) yield i
  }

  private grow (): void {
    const next = new Int32Array(Math.min(this.capacity, Math.max(MIN_DENSE, this.dense.length * 2)))
    next.set(this.dense)
    this.dense = next
  }
}

/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit (word: number): number {
  return 31 - Math.clz32(word & -word)
}

/** Sets bits `0..count-1` of a bitmap (bit `j` of word `w` is index `32w + j`). */
function fillBits (bits: Uint32Array, count: number): void {
  bits.fill(0xffffffff)
  const spare = bits.length * 32 - count
  if (spare > 0) bits[bits.length - 1] = 0xffffffff >>> spare
}

/**
 * The empty chunk set, for lookups that find nothing (e.g. a rarity bucket nobody is in). Reading
 * it is safe; it has no capacity, so nothing can be added.
 *
 * @example
 * ```ts
 * import { EMPTY_CHUNK_SET } from '@codio-chunk/core'
 * EMPTY_CHUNK_SET.size          // 0
 * EMPTY_CHUNK_SET.sample(Math.random) // -1
 * ```
 */
export const EMPTY_CHUNK_SET: ChunkSet = Object.freeze(new IndexedChunkSet(0))
