import { sampleHeld } from '@codio-chunk/interface'
import type { PickView } from '@codio-chunk/interface'

/** Random samples tried in a rarity bucket before scanning it, for a partial peer. */
const BUCKET_TRIES = 4

/**
 * The rarest-first pick, as a building block for strategies: while fewer than `randomFirst` chunks
 * are complete, a random candidate the peer has (so a new peer soon has something to trade);
 * then the candidate with the lowest availability that the peer has, ties broken at random.
 *
 * O(1) for a peer that has everything (a sample of the rarest bucket); for a partial peer it walks
 * the rarity buckets from the rarest up, sampling then scanning each, never the whole content.
 * Returns -1 when the peer has no candidate.
 *
 * @example
 * ```ts
 * import type { Strategy } from '@codio-chunk/interface'
 * import { pickRarest } from '@codio-chunk/strategy-rarest-first'
 * // Rarest-first, but never in the random phase.
 * const strictRarest: Strategy = { name: 'strict-rarest', pick: (view) => { const i = pickRarest(view, 0); return i === -1 ? undefined : i } }
 * ```
 */
export function pickRarest (view: PickView, randomFirst: number): number {
  const { candidates, peer, rarity } = view
  if (candidates.size === 0 || peer.count === 0) return -1
  const random = (): number => view.random()
  if (view.completedCount < randomFirst) return sampleHeld(candidates, peer, random)
  if (peer.complete) {
    const index = rarity.bucket(rarity.minAvailability).sample(random)
    return index !== -1 ? index : candidates.sample(random)
  }
  // A partial peer counts towards every chunk it has, so it holds nothing below seedCount + 1:
  // skip the buckets of chunks only seeders have (early in a download, nearly all of them). A peer
  // holding every chunk (here only because some are excluded for it) may be one of the seeders.
  const max = rarity.maxAvailability
  const from = peer.count === view.chunkCount ? rarity.minAvailability : Math.max(rarity.minAvailability, rarity.seedCount + 1)
  for (let count = from; count <= max; count++) {
    const bucket = rarity.bucket(count)
    if (bucket.size === 0) continue
    const index = sampleHeld(bucket, peer, random, BUCKET_TRIES)
    if (index !== -1) return index
  }
  return -1
}
