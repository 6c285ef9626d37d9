import type { ChunkSet, PeerChunks, PickView, RarityIndex } from '@codio-chunk/interface'
import type { Bitfield } from '@codio-chunk/interface'
import { EMPTY_CHUNK_SET, IndexedChunkSet } from './chunk-set.js'
import type { PeerHoldings } from './peer-chunks.js'

const CANDIDATE = 0
const REQUESTED = 1
const COMPLETED = 2

/** Sentinel lowest bucket when no candidate is left. */
const NO_BUCKET = 0x7fffffff

/** Options of {@link ChunkAvailability.view}. */
export interface ViewOptions {
  /** The consumer's preferred chunk (e.g. a playback position); 0 by default. */
  position?: number
  /** Random numbers in [0, 1), seeded per download (see {@link createRandom}). */
  random: () => number
}

/**
 * The state of one download's chunks: which are completed, in flight (requested) or still
 * candidates, and how many connected peers have each, kept incrementally so that strategies pick
 * without scanning the content.
 *
 * Candidates sit in rarity buckets by the number of *partial* peers that have them. Peers that are
 * complete when they join (seeders) only bump `seedCount`, which is added to every chunk's
 * availability: a seeder joining or leaving is O(1). A partial peer costs O(1) per have and
 * O(chunks it has) to join or leave; if it completes later it stays counted per chunk.
 *
 * @example
 * ```ts
 * import { ChunkAvailability, PeerHoldings, createRandom } from '@codio-chunk/core'
 * const availability = new ChunkAvailability(8)
 * const seeder = new PeerHoldings(8)
 * seeder.markComplete()
 * availability.peerJoined(seeder)
 * const partial = new PeerHoldings(8)
 * partial.add(5)
 * availability.peerJoined(partial)
 * availability.availability(5)     // 2
 * availability.minAvailability     // 1
 * availability.markRequested(5)    // true: 5 is in flight
 * availability.markCompleted(5)    // true: 5 is done
 * const view = availability.view(seeder, { random: createRandom(1) })
 * view.candidates.size             // 7
 * ```
 */
export class ChunkAvailability implements RarityIndex {
  /** Number of chunks in the content. */
  readonly chunkCount: number
  /** Chunks still needed and not requested from anyone. */
  readonly candidates: ChunkSet
  private readonly candidateSet: IndexedChunkSet
  private readonly state: Uint8Array
  /** Per chunk: how many partial peers (not counted in `seeds`) have it. */
  private readonly counts: Int32Array
  private readonly positions: Int32Array
  /** Candidate chunks by partial count. */
  private readonly buckets: Array<IndexedChunkSet | undefined> = []
  /** Per joined peer: the chunks counted for it, or null for a peer counted as a seeder. */
  private readonly peers = new Map<PeerHoldings, Bitfield | null>()
  private seeds = 0
  private lo = 0
  private hi = 0
  private completed = 0
  private requested = 0

  /**
   * @param chunkCount - chunks in the content
   * @param completed - chunks already verified and stored (they never become candidates)
   */
  constructor (chunkCount: number, completed?: Bitfield) {
    if (!Number.isSafeInteger(chunkCount) || chunkCount < 0 || chunkCount > 0x7fffffff) {
      throw new RangeError(`Chunk count must be an integer in 0..2^31-1, got ${chunkCount}`)
    }
    if (completed !== undefined && completed.length !== chunkCount) {
      throw new RangeError(`The completed bitfield describes ${completed.length} chunks, the content has ${chunkCount}`)
    }
    this.chunkCount = chunkCount
    this.state = new Uint8Array(chunkCount)
    this.counts = new Int32Array(chunkCount)
    this.positions = new Int32Array(chunkCount)
    this.candidateSet = new IndexedChunkSet(chunkCount, 'full')
    this.candidates = this.candidateSet
    const none = new IndexedChunkSet(chunkCount, 'full', { sharedPositions: this.positions })
    this.buckets.push(none)
    if (completed !== undefined) {
      for (let i = completed.nextSet(0); i !== -1; i = completed.nextSet(i + 1)) {
        this.state[i] = COMPLETED
        this.candidateSet.delete(i)
        none.delete(i)
        this.completed++
      }
    }
    if (none.size === 0) this.lo = NO_BUCKET
  }

  /** Chunks verified and stored. */
  get completedCount (): number { return this.completed }
  /** Chunks in flight: requested from some peer, not completed. */
  get requestedCount (): number { return this.requested }
  /** Joined peers counted as seeders (complete when they joined). */
  get seedCount (): number { return this.seeds }
  /** Joined peers, seeders included. */
  get peerCount (): number { return this.peers.size }

  isCompleted (index: number): boolean { return this.state[index] === COMPLETED }
  isRequested (index: number): boolean { return this.state[index] === REQUESTED }

  /** Number of joined peers that have `index` (0 for an index out of range). */
  availability (index: number): number {
    return (index >>> 0) === index && index < this.chunkCount ? this.counts[index] + this.seeds : 0
  }

  /** The lowest availability of any candidate chunk; 0 when there is no candidate. */
  get minAvailability (): number { return this.lo === NO_BUCKET ? 0 : this.lo + this.seeds }

  /** The highest availability of any candidate chunk; 0 when there is no candidate. */
  get maxAvailability (): number { return this.lo === NO_BUCKET ? 0 : this.hi + this.seeds }

  /** Candidate chunks that exactly `count` joined peers have (an empty set if none). */
  bucket (count: number): ChunkSet {
    const bucket = this.buckets[count - this.seeds]
    return bucket === undefined ? EMPTY_CHUNK_SET : bucket
  }

  /**
   * Counts a peer's chunks. A complete peer is counted as a seeder in O(1); a partial one per chunk
   * it has. Joining a peer twice is the same as {@link peerUpdated}.
   */
  peerJoined (peer: PeerHoldings): void {
    if (peer.chunkCount !== this.chunkCount) {
      throw new RangeError(`The peer's holdings describe ${peer.chunkCount} chunks, the content has ${this.chunkCount}`)
    }
    if (this.peers.has(peer)) {
      this.peerUpdated(peer)
      return
    }
    if (peer.complete) {
      this.peers.set(peer, null)
      this.seeds++
      return
    }
    const bits = peer.toBitfield()
    this.peers.set(peer, bits)
    for (let i = bits.nextSet(0); i !== -1; i = bits.nextSet(i + 1)) this.increment(i)
  }

  /** Forgets a peer's chunks: O(1) for a seeder, O(chunks counted for it) otherwise. */
  peerLeft (peer: PeerHoldings): void {
    const bits = this.peers.get(peer)
    if (bits === undefined) return
    this.peers.delete(peer)
    if (bits === null) {
      this.seeds--
      return
    }
    for (let i = bits.nextSet(0); i !== -1; i = bits.nextSet(i + 1)) this.decrement(i)
  }

  /**
   * Counts one new chunk of a joined peer; call after `peer.add(index)`. Returns true if it changed
   * the counts: false for a peer that did not join, a seeder, an index the peer does not have or
   * one already counted, so a repeated or bogus have is harmless.
   */
  peerHas (peer: PeerHoldings, index: number): boolean {
    const bits = this.peers.get(peer)
    if (bits == null || !peer.has(index) || bits.get(index)) return false
    bits.set(index)
    this.increment(index)
    return true
  }

  /**
   * Recounts a joined peer after its holdings were replaced (`setBitfield`, `markComplete`); joins
   * it if it had not joined. O(chunkCount / 8 + changes). A peer that is now complete is counted as
   * a seeder from then on.
   */
  peerUpdated (peer: PeerHoldings): void {
    const old = this.peers.get(peer)
    if (old === undefined) {
      this.peerJoined(peer)
      return
    }
    if (old === null) {
      if (peer.complete) return
      this.seeds--
      this.peers.delete(peer)
      this.peerJoined(peer)
      return
    }
    if (peer.complete) {
      for (let i = old.nextSet(0); i !== -1; i = old.nextSet(i + 1)) this.decrement(i)
      this.peers.set(peer, null)
      this.seeds++
      return
    }
    const bits = peer.toBitfield()
    for (let i = old.nextSet(0); i !== -1; i = old.nextSet(i + 1)) if (!bits.get(i)) this.decrement(i)
    for (let i = bits.nextSet(0); i !== -1; i = bits.nextSet(i + 1)) if (!old.get(i)) this.increment(i)
    this.peers.set(peer, bits)
  }

  /** Candidate → in flight. Returns false (no change) if `index` is not a candidate. */
  markRequested (index: number): boolean {
    this.check(index)
    if (this.state[index] !== CANDIDATE) return false
    this.state[index] = REQUESTED
    this.requested++
    this.unlist(index)
    return true
  }

  /** In flight → candidate again. Returns false (no change) unless `index` is in flight. */
  markReleased (index: number): boolean {
    this.check(index)
    if (this.state[index] !== REQUESTED) return false
    this.state[index] = CANDIDATE
    this.requested--
    this.list(index)
    return true
  }

  /** Candidate or in flight → completed. Idempotent: returns true only the first time. */
  markCompleted (index: number): boolean {
    this.check(index)
    const state = this.state[index]
    if (state === COMPLETED) return false
    if (state === REQUESTED) this.requested--
    else this.unlist(index)
    this.state[index] = COMPLETED
    this.completed++
    return true
  }

  /**
   * What a strategy sees when asked to pick a chunk for `peer`: the live candidates and rarity of
   * this download. Build a fresh view for every pick.
   */
  view (peer: PeerChunks, options: ViewOptions): PickView {
    const n = this.chunkCount
    const p = options.position ?? 0
    const position = p > 0 && n > 0 ? Math.min(Math.floor(p), n - 1) : 0
    return {
      chunkCount: n,
      completedCount: this.completed,
      position,
      candidates: this.candidateSet,
      peer,
      rarity: this,
      random: options.random
    }
  }

  private check (index: number): void {
    if ((index >>> 0) !== index || index >= this.chunkCount) {
      throw new RangeError(`Chunk index ${index} is out of range 0..${this.chunkCount - 1}`)
    }
  }

  private increment (index: number): void {
    const c = this.counts[index]
    this.counts[index] = c + 1
    if (this.state[index] === CANDIDATE) this.move(index, c, c + 1)
  }

  private decrement (index: number): void {
    const c = this.counts[index]
    this.counts[index] = c - 1
    if (this.state[index] === CANDIDATE) this.move(index, c, c - 1)
  }

  private move (index: number, from: number, to: number): void {
    // Buckets share one position map: leave the old bucket before joining the new one, and only
    // then retire the old bucket if it emptied, so the lowest/highest bucket never scans far.
    const emptied = this.detach(index, from)
    this.insert(index, to)
    if (emptied) this.retire(from)
  }

  /** Makes `index` a candidate again. */
  private list (index: number): void {
    this.candidateSet.add(index)
    this.insert(index, this.counts[index])
  }

  /** Takes `index` out of the candidates. */
  private unlist (index: number): void {
    this.candidateSet.delete(index)
    this.remove(index, this.counts[index])
  }

  private insert (index: number, count: number): void {
    let bucket = this.buckets[count]
    if (bucket === undefined) {
      while (this.buckets.length < count) this.buckets.push(undefined)
      bucket = new IndexedChunkSet(this.chunkCount, 'empty', { sharedPositions: this.positions })
      this.buckets[count] = bucket
    }
    bucket.add(index)
    if (this.lo === NO_BUCKET) {
      this.lo = count
      this.hi = count
    } else if (count < this.lo) {
      this.lo = count
    } else if (count > this.hi) {
      this.hi = count
    }
  }

  private remove (index: number, count: number): void {
    if (this.detach(index, count)) this.retire(count)
  }

  /** Takes `index` out of bucket `count`; true if that emptied the bucket. */
  private detach (index: number, count: number): boolean {
    const bucket = this.buckets[count]
    return bucket !== undefined && bucket.delete(index) && bucket.size === 0
  }

  /** Bucket `count` just emptied: moves the lowest/highest bucket past it. */
  private retire (count: number): void {
    if (count === this.lo) {
      while (this.lo <= this.hi && this.isEmpty(this.lo)) this.lo++
    }
    if (count === this.hi) {
      while (this.hi >= this.lo && this.isEmpty(this.hi)) this.hi--
    }
    if (this.lo > this.hi) {
      this.lo = NO_BUCKET
      this.hi = 0
    }
  }

  private isEmpty (count: number): boolean {
    const bucket = this.buckets[count]
    return bucket === undefined || bucket.size === 0
  }
}

/**
 * A small seeded pseudo-random generator (mulberry32): numbers in [0, 1), the same sequence for
 * the same seed. For deterministic tests and per-download randomness, not for cryptography.
 *
 * @example
 * ```ts
 * import { createRandom } from '@codio-chunk/core'
 * const random = createRandom(42)
 * const x = random()   // 0 <= x < 1, the same on every run
 * ```
 */
export function createRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), state | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
