import { edgesFirst } from './edges-first.js'

export { edgesFirst }
export { pickEdge } from './pick-edge.js'
export { resolveEdgesFirstOptions, DEFAULT_HEAD, DEFAULT_TAIL } from './options.js'
export type { EdgesFirstOptions, ResolvedEdgesFirstOptions } from './options.js'

/**
 * The module's default export is the {@link edgesFirst} factory, as `codio-chunk get <cid>
 * --strategy <module>` expects: the CLI calls it with no argument to get the strategy.
 *
 * @example
 * ```ts
 * import edgesFirst from '@codio-chunk/example-strategy-edges-first'
 * const strategy = edgesFirst() // head 4, tail 2
 * ```
 */
export default edgesFirst
