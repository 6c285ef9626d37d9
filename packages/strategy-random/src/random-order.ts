import { sampleHeld } from '@codio-chunk/interface'
import type { PickView, Strategy } from '@codio-chunk/interface'

/**
 * Random-order chunk selection: ask a peer for a random candidate chunk it has. Spreads requests
 * evenly without tracking rarity; useful as a baseline and when every peer is a seeder.
 *
 * A pick for a seeder is O(1); for a partial peer it samples a few candidates and then scans the
 * candidates from a random position, never the whole content.
 *
 * @example
 * ```ts
 * import { ChunkConfig } from '@codio-chunk/engine'
 * import { randomOrder } from '@codio-chunk/strategy-random'
 * const config = ChunkConfig.builder().strategy(randomOrder()).build()
 * ```
 */
export function randomOrder (): Strategy {
  return {
    name: 'random',
    pick (view: PickView): number | undefined {
      const index = sampleHeld(view.candidates, view.peer, () => view.random())
      return index === -1 ? undefined : index
    }
  }
}

/**
 * The same as {@link randomOrder}.
 *
 * @example
 * ```ts
 * import { ChunkConfig } from '@codio-chunk/engine'
 * import { random } from '@codio-chunk/strategy-random'
 * const config = ChunkConfig.builder().strategy(random()).build()
 * ```
 */
export const random = randomOrder
