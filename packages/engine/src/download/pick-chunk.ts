import { defaultStrategy } from '../default-strategy.js'
import type { ChunkAvailability } from '@codio-chunk/pieces'
import type { PeerChunks } from '@codio-chunk/interface'
import type { EngineServices } from '../node/services.js'

/**
 * The next chunk to ask `peer` for, as the configured strategy picks it, or undefined if there is
 * none worth asking it for. A strategy plugin that throws or picks a chunk that is not a
 * candidate this peer has is logged and overruled by rarest-first for this pick: a faulty plugin
 * neither stalls the download nor gets the peer blamed.
 *
 * @example
 * ```ts
 * const index = pickChunk(ctx, availability, peer, { position: 0, random: Math.random })
 * ```
 */
export function pickChunk (
  ctx: Pick<EngineServices, 'strategy' | 'log'>,
  availability: ChunkAvailability,
  peer: PeerChunks,
  options: { position: number, random: () => number }
): number | undefined {
  if (availability.candidates.size === 0) return undefined
  const view = availability.view(peer, options)
  let index: number | undefined
  try {
    index = ctx.strategy.pick(view)
  } catch (err) {
    ctx.log.error('strategy %s threw: %s; using rarest-first for this pick', ctx.strategy.name, (err as Error)?.message)
    return defaultStrategy.pick(view)
  }
  if (index === undefined) return undefined
  if (!Number.isInteger(index) || !availability.candidates.has(index) || !peer.has(index)) {
    ctx.log.error('strategy %s picked %s, which is not a candidate this peer has; using rarest-first for this pick', ctx.strategy.name, String(index))
    return defaultStrategy.pick(view)
  }
  return index
}
