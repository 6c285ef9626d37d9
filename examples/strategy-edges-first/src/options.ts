import { InvalidConfigError } from '@codio-chunk/interface'

/** Options of {@link edgesFirst}. */
export interface EdgesFirstOptions {
  /**
   * How many chunks at the start of the content come first, in order (a media container's header,
   * e.g. an MP4 `ftyp` and a leading `moov`). Default 4; 0 turns the head off.
   */
  head?: number
  /**
   * How many chunks at the end of the content come next, in order (an index stored last, e.g. an
   * MP4 `moov` atom written after the media data). Default 2; 0 turns the tail off.
   */
  tail?: number
}

/** {@link EdgesFirstOptions} with defaults applied and values checked. */
export interface ResolvedEdgesFirstOptions {
  readonly head: number
  readonly tail: number
}

/** Default number of head chunks. */
export const DEFAULT_HEAD = 4
/** Default number of tail chunks. */
export const DEFAULT_TAIL = 2

/** Largest head or tail accepted: the largest chunk count a content can have. */
const MAX_EDGE = 0x7fffffff

const KNOWN = new Set(['head', 'tail'])

/**
 * Applies the defaults to `options` and checks them. Throws `InvalidConfigError` for options that
 * are not an object, an unknown option (a typo such as `heads`), or a head or tail that is not a
 * whole number of chunks `>= 0`.
 *
 * @example
 * ```ts
 * import { resolveEdgesFirstOptions } from '@codio-chunk/example-strategy-edges-first'
 * resolveEdgesFirstOptions({ tail: 8 }) // { head: 4, tail: 8 }
 * ```
 */
export function resolveEdgesFirstOptions (options: EdgesFirstOptions | undefined): ResolvedEdgesFirstOptions {
  if (options === undefined) return { head: DEFAULT_HEAD, tail: DEFAULT_TAIL }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidConfigError(`edgesFirst options must be an object such as { head: 4, tail: 2 }, got ${show(options)}`)
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new InvalidConfigError(`edgesFirst has no option "${key}"; the options are head and tail, e.g. { head: 4, tail: 2 }`)
    }
  }
  return {
    head: edge('head', options.head, DEFAULT_HEAD),
    tail: edge('tail', options.tail, DEFAULT_TAIL)
  }
}

function edge (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_EDGE) {
    throw new InvalidConfigError(`edgesFirst option ${name} must be a whole number of chunks from 0 to ${MAX_EDGE}, got ${show(value)}; use 0 to turn it off`)
  }
  return value
}

function show (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (Array.isArray(value)) return 'an array'
  return String(value)
}
