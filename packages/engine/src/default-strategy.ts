import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
import type { Strategy } from '@codio-chunk/interface'

/**
 * The strategy used when a config names none, and in place of a strategy whose pick breaks its
 * contract: rarest-first with 4 random first picks (`rarestFirst()` of
 * `@codio-chunk/strategy-rarest-first`).
 */
export const defaultStrategy: Strategy = Object.freeze(rarestFirst())
