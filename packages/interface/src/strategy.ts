/**
 * A set of chunk indices with constant-time membership and fast ordered and random access.
 * Implemented by the engine; strategies only read it.
 */
export interface ChunkSet {
  /** How many chunks are in the set. */
  readonly size: number
  has(index: number): boolean
  /** The smallest member `>= from`, or -1. Skips absent runs a machine word at a time. */
  nextFrom(from: number): number
  /** A uniformly random member (using `random()` in [0, 1)), or -1 if the set is empty. O(1). */
  sample(random: () => number): number
  /** The member at position `k` of an arbitrary but stable order, `0 <= k < size`. O(1). */
  at(k: number): number
}

/** What one peer has of the content being downloaded. */
export interface PeerChunks {
  /** True if the peer has every chunk (a seeder): `has()` is then always true. */
  readonly complete: boolean
  /** How many chunks the peer has. */
  readonly count: number
  has(index: number): boolean
}

/**
 * Availability of the chunks still to be requested, kept incrementally by the engine from
 * bitfield, have and disconnect events: no method scans every chunk.
 */
export interface RarityIndex {
  /** Number of connected peers that have `index`. */
  availability(index: number): number
  /** The lowest availability of any candidate chunk (0 when some candidate has no holder). */
  readonly minAvailability: number
  /** The highest availability of any candidate chunk. */
  readonly maxAvailability: number
  /**
   * Connected peers that have every chunk (seeders); every chunk's availability is at least this.
   * A peer that lacks some chunks holds only chunks of availability `seedCount + 1` or more.
   */
  readonly seedCount: number
  /** Candidate chunks held by exactly `count` peers (empty set for counts nobody has). */
  bucket(count: number): ChunkSet
}

/**
 * Everything a strategy may look at to choose the next chunk to request from one peer.
 */
export interface PickView {
  /** Number of chunks in the content. */
  readonly chunkCount: number
  /** Chunks verified and stored so far. */
  readonly completedCount: number
  /** The consumer's preferred position (e.g. a playback position), a chunk index. 0 by default. */
  readonly position: number
  /** Chunks still needed and not currently requested from anyone. Only these may be returned. */
  readonly candidates: ChunkSet
  /** What the peer being asked has. The returned chunk must satisfy `peer.has(index)`. */
  readonly peer: PeerChunks
  /** Availability of candidate chunks among connected peers. */
  readonly rarity: RarityIndex
  /** Random number in [0, 1), seeded per download so tests can be deterministic. */
  random(): number
}

/**
 * Chooses which chunk to request next from a peer. Strategies are pure and synchronous: given the
 * same view they make the same choice (randomness comes from `view.random()`), which makes them
 * easy to test and to simulate. A pick should not scan every chunk.
 *
 * The engine handles everything else: the per-peer request limit, timeouts, retries and endgame.
 *
 * @example
 * ```ts
 * import type { Strategy } from '@codio-chunk/core'
 * // Lowest-index chunk the peer has, starting from the playback position.
 * export const nearestFirst = (): Strategy => ({
 *   name: 'nearest-first',
 *   pick (view) {
 *     for (let i = view.candidates.nextFrom(view.position); i !== -1; i = view.candidates.nextFrom(i + 1)) {
 *       if (view.peer.has(i)) return i
 *     }
 *     return undefined
 *   }
 * })
 * ```
 */
export interface Strategy {
  /** A short name, e.g. `rarest-first`. */
  readonly name: string
  /** A candidate chunk the peer has, or `undefined` if there is none worth asking it for. */
  pick(view: PickView): number | undefined
}
