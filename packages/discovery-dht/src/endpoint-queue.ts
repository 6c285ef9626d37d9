import type { Endpoint } from './dht-node.js'

/** Limits of one {@link EndpointQueue}. */
export interface EndpointQueueLimits {
  /** Most endpoints accepted in all (a lookup's `maxProvidersPerLookup`). */
  maxEndpoints: number
  /** Most endpoints accepted from one answering node. */
  maxPerSource: number
  /**
   * Most endpoints from one answering node handed out and not yet released while others may
   * want a turn: a node may go past it only while fewer than `maxActive / 2` endpoints are out in
   * all, so half of the resolutions stay free for the other nodes' endpoints. Default: no limit.
   */
  maxActivePerSource?: number
  /** Endpoints handed out at most at once (the resolutions in flight). Default: no limit. */
  maxActive?: number
}

/** An endpoint handed out by {@link EndpointQueue.take}; give it back with `release`. */
export interface TakenEndpoint {
  endpoint: Endpoint
  source: string
}

/** What became of an offered endpoint. */
export type OfferResult = 'queued' | 'duplicate' | 'full' | 'source-full'

/**
 * The provider endpoints one lookup found, waiting to be resolved. It accepts at most
 * `maxEndpoints`, at most `maxPerSource` of them from any one answering node, ignores
 * repeats, and hands them out round-robin across the nodes that sent them, one node's taking
 * `maxActivePerSource` at a time (up to half of `maxActive` when nobody else waits): a node that
 * answers first with thousands of made-up peers gets its share of the resolutions, not all of
 * them, and the real providers other nodes name are resolved at once. Memory is bounded by
 * `maxEndpoints`.
 *
 * @example
 * ```ts
 * import { EndpointQueue } from './endpoint-queue.js'
 * const queue = new EndpointQueue({ maxEndpoints: 256, maxPerSource: 32 })
 * const liar = { host: '10.0.0.66', port: 6881 }
 * for (let port = 1; port <= 1000; port++) queue.offer({ host: '10.9.9.9', port }, liar)
 * queue.offer({ host: '10.0.0.7', port: 6881 }, { host: '10.0.0.8', port: 6881 })
 * queue.take()?.endpoint // { host: '10.9.9.9', port: 1 }: the liar's first
 * queue.take()?.endpoint // { host: '10.0.0.7', port: 6881 }: then the other node's, not the liar's second
 * queue.size             // 30: the liar's other 968 were refused
 * ```
 */
export class EndpointQueue {
  readonly #limits: EndpointQueueLimits
  readonly #seen = new Set<string>()
  readonly #perSource = new Map<string, number>()
  readonly #queues = new Map<string, Endpoint[]>()
  readonly #active = new Map<string, number>()
  #totalActive = 0
  /** Sources with endpoints waiting, in turn order. */
  #ring: string[] = []
  #cursor = 0
  #size = 0
  #refused = 0

  constructor (limits: EndpointQueueLimits) {
    this.#limits = limits
  }

  /** Offers an endpoint `source` named (null: from this node's own store). */
  offer (endpoint: Endpoint, source: Endpoint | null): OfferResult {
    const key = `${endpoint.host}:${endpoint.port}`
    if (this.#seen.has(key)) return 'duplicate'
    if (this.#seen.size >= this.#limits.maxEndpoints) {
      this.#refused++
      return 'full'
    }
    const from = source === null ? 'self' : `${source.host}:${source.port}`
    const count = this.#perSource.get(from) ?? 0
    if (count >= this.#limits.maxPerSource) {
      this.#refused++
      return 'source-full'
    }
    this.#perSource.set(from, count + 1)
    this.#seen.add(key)
    let queue = this.#queues.get(from)
    if (queue === undefined) {
      queue = []
      this.#queues.set(from, queue)
    }
    if (queue.length === 0) this.#ring.push(from)
    queue.push(endpoint)
    this.#size++
    return 'queued'
  }

  /**
   * The next endpoint to resolve, taking sources in turn and skipping those over their share;
   * undefined when none may be taken now.
   */
  take (): TakenEndpoint | undefined {
    const share = this.#limits.maxActivePerSource ?? Infinity
    const roomy = this.#totalActive < (this.#limits.maxActive ?? Infinity) / 2
    for (let tried = 0; tried < this.#ring.length; tried++) {
      if (this.#cursor >= this.#ring.length) this.#cursor = 0
      const source = this.#ring[this.#cursor]
      const active = this.#active.get(source) ?? 0
      if (active >= share && !roomy) {
        this.#cursor++
        continue
      }
      const queue = this.#queues.get(source) as Endpoint[]
      const endpoint = queue.shift() as Endpoint
      if (queue.length === 0) this.#ring.splice(this.#cursor, 1)
      else this.#cursor++
      this.#size--
      this.#active.set(source, active + 1)
      this.#totalActive++
      return { endpoint, source }
    }
    return undefined
  }

  /** Gives back an endpoint {@link take} handed out, once it is resolved. */
  release (taken: TakenEndpoint): void {
    const active = (this.#active.get(taken.source) ?? 1) - 1
    this.#totalActive--
    if (active <= 0) this.#active.delete(taken.source)
    else this.#active.set(taken.source, active)
  }

  /** Endpoints waiting. */
  get size (): number {
    return this.#size
  }

  /** Endpoints accepted so far (waiting, being resolved or done). */
  get accepted (): number {
    return this.#seen.size
  }

  /** Endpoints refused for the limits (repeats not counted). */
  get refused (): number {
    return this.#refused
  }
}
