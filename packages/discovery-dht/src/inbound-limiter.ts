/**
 * Bounds how many queries the DHT answers from one source and from everyone, per one-second
 * window, in fixed memory: sources are counted in a table of hashed slots (two sources sharing a
 * slot share its budget), so a flood from many addresses allocates nothing. Replies are not
 * limited: they answer this node's own queries, and one node may well answer many of them in a
 * second when many lookups run at once.
 */

/** Slots of the per-source table (a power of two). */
const SLOTS = 4096

/** Limits of an {@link InboundLimiter}, per second. */
export interface InboundLimits {
  /** Queries answered for one address and port. */
  perSource: number
  /** Queries answered for everyone together. */
  queries: number
}

/**
 * Admits or refuses each inbound query. A refused query gets no answer, as from a busy node.
 *
 * @example
 * ```ts
 * import { InboundLimiter } from './inbound-limiter.js'
 * const limiter = new InboundLimiter({ perSource: 2, queries: 100 })
 * limiter.admitQuery('10.0.0.1', 6881, 0)    // true
 * limiter.admitQuery('10.0.0.1', 6881, 10)   // true
 * limiter.admitQuery('10.0.0.1', 6881, 20)   // false: third query from it in the same second
 * limiter.admitQuery('10.0.0.2', 6881, 20)   // true: another source
 * limiter.admitQuery('10.0.0.1', 6881, 1000) // true: a new second
 * ```
 */
export class InboundLimiter {
  readonly #counts = new Uint32Array(SLOTS)
  readonly #limits: InboundLimits
  #window = -1
  #queries = 0

  constructor (limits: InboundLimits) {
    this.#limits = limits
  }

  /** Counts one query from `host:port` at time `now` (ms); false when that source or the node is over its budget. */
  admitQuery (host: string, port: number, now: number): boolean {
    const window = Math.floor(now / 1000)
    if (window !== this.#window) {
      this.#window = window
      this.#counts.fill(0)
      this.#queries = 0
    }
    const slot = slotOf(host, port)
    if (this.#counts[slot] >= this.#limits.perSource || this.#queries >= this.#limits.queries) return false
    this.#counts[slot]++
    this.#queries++
    return true
  }
}

/** FNV-1a of the address and port, folded into the table. */
function slotOf (host: string, port: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < host.length; i++) {
    hash ^= host.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  hash ^= port & 0xff
  hash = Math.imul(hash, 0x01000193)
  hash ^= port >>> 8
  hash = Math.imul(hash, 0x01000193)
  return (hash >>> 0) & (SLOTS - 1)
}
