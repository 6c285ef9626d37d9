import { InvalidConfigError } from '@codio-chunk/interface'
import { pickRarest } from './pick-rarest.js'
import type { PickView, Strategy } from '@codio-chunk/interface'

/** Options of {@link rarestFirst}. */
export interface RarestFirstOptions {
  /**
   * Pick at random (among the chunks the peer has) until this many chunks are completed, so a new
   * peer soon has something to trade, as BitTorrent does. Default 4; 0 turns it off.
   */
  randomFirst?: number
}

/**
 * Rarest-first chunk selection: ask a peer for the candidate chunk that the fewest connected peers
 * have (ties broken at random), so rare chunks spread before their holders leave. The first
 * `randomFirst` chunks are picked at random instead.
 *
 * A pick for a seeder is O(1) (a sample of the rarest bucket); for a partial peer it walks the
 * rarity buckets from the rarest up, sampling then scanning each, never the whole content.
 *
 * @example
 * ```ts
 * import { ChunkConfig } from '@codio-chunk/engine'
 * import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
 * const config = ChunkConfig.builder().strategy(rarestFirst({ randomFirst: 4 })).build()
 * ```
 */
export function rarestFirst (options: RarestFirstOptions = {}): Strategy {
  const randomFirst = options.randomFirst ?? 4
  if (typeof randomFirst !== 'number' || !(randomFirst >= 0)) {
    throw new InvalidConfigError(`randomFirst must be a number of chunks >= 0, got ${String(randomFirst)}`)
  }
  return {
    name: 'rarest-first',
    pick (view: PickView): number | undefined {
      const index = pickRarest(view, randomFirst)
      return index === -1 ? undefined : index
    }
  }
}
