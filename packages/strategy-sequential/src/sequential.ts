import type { PickView, Strategy } from '@codio-chunk/interface'

/**
 * Sequential chunk selection for streaming: ask a peer for the lowest-index candidate chunk at or
 * after the consumer's position (`view.position`, e.g. the playback position) that it has,
 * wrapping around to chunk 0 when nothing after the position is left.
 *
 * A pick skips absent chunks a machine word at a time (`candidates.nextFrom`); for a seeder it is
 * O(1) apart from that skip.
 *
 * @example
 * ```ts
 * import { ChunkConfig } from '@codio-chunk/engine'
 * import { sequential } from '@codio-chunk/strategy-sequential'
 * const config = ChunkConfig.builder().strategy(sequential()).build()
 * ```
 */
export function sequential (): Strategy {
  return {
    name: 'sequential',
    pick (view: PickView): number | undefined {
      const { candidates, peer } = view
      if (candidates.size === 0 || peer.count === 0) return undefined
      const start = view.position
      for (let i = candidates.nextFrom(start); i !== -1; i = candidates.nextFrom(i + 1)) {
        if (peer.has(i)) return i
      }
      for (let i = candidates.nextFrom(0); i !== -1 && i < start; i = candidates.nextFrom(i + 1)) {
        if (peer.has(i)) return i
      }
      return undefined
    }
  }
}
