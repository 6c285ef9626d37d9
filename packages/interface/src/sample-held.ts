import type { ChunkSet, PeerChunks } from './strategy.js'

/**
 * A random member of `set` that `peer` has, or -1 if there is none. O(1) when the peer is complete;
 * otherwise `tries` uniform samples, then one pass over all members in a random order (a random
 * start and a random stride coprime with the size, so the chunk found first is close to uniform
 * among those the peer has). Bounded by `set.size`, never by the content's chunk count.
 *
 * @example
 * ```ts
 * import { IndexedChunkSet, PeerHoldings, sampleHeld, createRandom } from '@codio-chunk/core'
 * const set = new IndexedChunkSet(100, 'full')
 * const peer = new PeerHoldings(100)
 * peer.add(42)
 * sampleHeld(set, peer, createRandom(1)) // 42
 * ```
 */
export function sampleHeld (set: ChunkSet, peer: PeerChunks, random: () => number, tries = 8): number {
  const size = set.size
  if (size === 0 || peer.count === 0) return -1
  if (peer.complete) return set.sample(random)
  for (let t = 0; t < tries; t++) {
    const index = set.sample(random)
    if (peer.has(index)) return index
  }
  let k = randomBelow(size, random)
  let stride = size === 1 ? 1 : 1 + randomBelow(size - 1, random)
  while (gcd(stride, size) !== 1) stride = stride === size - 1 ? 1 : stride + 1
  for (let j = 0; j < size; j++) {
    const index = set.at(k)
    if (peer.has(index)) return index
    k += stride
    if (k >= size) k -= size
  }
  return -1
}

function randomBelow (n: number, random: () => number): number {
  const k = Math.floor(random() * n)
  return k >= 0 && k < n ? k : 0
}

function gcd (a: number, b: number): number {
  while (b !== 0) {
    const t = a % b
    a = b
    b = t
  }
  return a
}
