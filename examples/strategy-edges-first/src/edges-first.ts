import { pickRarest } from '@codio-chunk/strategy-rarest-first'
import type { PickView, Strategy } from '@codio-chunk/interface'
import { resolveEdgesFirstOptions } from './options.js'
import type { EdgesFirstOptions } from './options.js'
import { pickEdge } from './pick-edge.js'

/**
 * Edges-first chunk selection, for media files in a CDN: first the `head` chunks at the start of
 * the content, in order (container headers), then the `tail` chunks at its end, in order (indexes
 * written last, such as an MP4 `moov` atom), so a player can start as soon as possible; then
 * rarest-first among the rest, ties broken at random, so the swarm stays healthy.
 *
 * Each peer is only asked for chunks it has: a peer without the edge chunks goes straight to
 * rarest-first. Pure and synchronous like every strategy: the same view gives the same pick, and
 * a chunk that is released back to the pool (a timeout, a bad chunk) is picked again first if it is
 * an edge chunk. A pick costs O(1) for a seeder and O(head + tail) plus a walk of the rarity
 * buckets for a partial peer, never a scan of the content.
 *
 * Defaults: `head` 4, `tail` 2. Throws `InvalidConfigError` for options that are not whole numbers
 * of chunks `>= 0`, or for an unknown option.
 *
 * @example
 * ```ts
 * import { ChunkConfig } from '@codio-chunk/engine'
 * import { edgesFirst } from '@codio-chunk/example-strategy-edges-first'
 * const config = ChunkConfig.builder().strategy(edgesFirst({ head: 8, tail: 4 })).build()
 * ```
 */
export function edgesFirst (options: EdgesFirstOptions = {}): Strategy {
  const { head, tail } = resolveEdgesFirstOptions(options)
  return {
    name: 'edges-first',
    pick (view: PickView): number | undefined {
      let index = pickEdge(view, head, tail)
      // The edges already give a new peer something to trade: no random start before rarest-first.
      if (index === -1) index = pickRarest(view, 0)
      return index === -1 ? undefined : index
    }
  }
}
