/**
 * Bounds how many packets the DHT handles from one source and how many queries from everyone,
 * per one-second window, in fixed memory: sources are counted in a table of hashed slots (two
 * sources sharing a slot share its budget), so a flood from many addresses allocates nothing.
 */

/** Slots of the per-source table (a power of two). */
const SLOTS = 4096

/** Limits of an {@link InboundLimiter}, per second. */
export interface InboundLimits {
  /** Packets (queries and replies) accepted from one address and port. */
  perSource: number
  /** Queries accepted from everyone together. */
  queries: number
}

/**
 * Admits or refuses each inbound packet. A refused query gets no answer (as from a node that is
 * busy); a refused reply counts as lost, and the query it answered times out.
 *
 * @example
 * ```ts
 * import { InboundLimiter } from './inbound-limiter.js'
 * const limiter = new InboundLimiter({ perSource: 2, queries: 100 })
 * limiter.admitPacket('10.0.0.1', 6881, 0)    // true
 * limiter.admitPacket('10.0.0.1', 6881, 10)   // true
 * limiter.admitPacket('10.0.0.1', 6881, 20)   // false: third packet in the same second
 * limiter.admitPacket('10.0.0.1', 6881, 1000) // true: a new second
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

  /** Counts one packet from `host:port` at time `now` (ms); false when that source is over its budget. */
  admitPacket (host: string, port: number, now: number): boolean {
    this.#roll(now)
    const slot = slotOf(host, port)
    if (this.#counts[slot] >= this.#limits.perSource) return false
    this.#counts[slot]++
    return true
  }

  /** Counts one query (after {@link admitPacket}); false when the node has answered enough this second. */
  admitQuery (now: number): boolean {
    this.#roll(now)
    if (this.#queries >= this.#limits.queries) return false
    this.#queries++
    return true
  }

  #roll (now: number): void {
    const window = Math.floor(now / 1000)
    if (window === this.#window) return
    this.#window = window
    this.#counts.fill(0)
    this.#queries = 0
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
