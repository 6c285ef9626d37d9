import type { PickView } from '@codio-chunk/interface'

/**
 * The first candidate chunk the peer has in the head (`0..head-1`), else in the tail
 * (`chunkCount-tail..chunkCount-1`), lowest index first; -1 if there is none. Head and tail are
 * clamped to the content, so content with fewer than `head + tail` chunks is all edge.
 *
 * Cost: for a seeder, at most two `candidates.nextFrom` calls (each skips absent chunks a machine
 * word at a time). For a partial peer, at most one `peer.has` per candidate edge chunk, so
 * O(head + tail) and never proportional to the content.
 *
 * @example
 * ```ts
 * import { ChunkAvailability, PeerHoldings, createRandom } from '@codio-chunk/pieces'
 * import { pickEdge } from '@codio-chunk/example-strategy-edges-first'
 * const availability = new ChunkAvailability(100)
 * const seeder = new PeerHoldings(100)
 * seeder.markComplete()
 * availability.peerJoined(seeder)
 * const view = availability.view(seeder, { random: createRandom(1) })
 * pickEdge(view, 4, 2) // 0
 * ```
 */
export function pickEdge (view: PickView, head: number, tail: number): number {
  const { candidates, peer, chunkCount } = view
  if (candidates.size === 0 || peer.count === 0) return -1
  const headEnd = Math.min(head, chunkCount)
  const tailStart = Math.max(headEnd, chunkCount - tail)
  const index = firstHeld(view, 0, headEnd)
  return index !== -1 ? index : firstHeld(view, tailStart, chunkCount)
}

/** The lowest candidate in `from..end-1` that the peer has, or -1. */
function firstHeld (view: PickView, from: number, end: number): number {
  const { candidates, peer } = view
  for (let i = from < end ? candidates.nextFrom(from) : -1; i !== -1 && i < end; i = candidates.nextFrom(i + 1)) {
    if (peer.complete || peer.has(i)) return i
  }
  return -1
}
