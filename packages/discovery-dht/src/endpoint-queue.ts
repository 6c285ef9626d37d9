import type { Endpoint } from './dht-node.js'

/** Limits of one {@link EndpointQueue}. */
export interface EndpointQueueLimits {
  /** Most endpoints accepted in all (a lookup's `maxProvidersPerLookup`). */
  maxEndpoints: number
  /** Most endpoints accepted from one answering node. */
  maxPerSource: number
}

/** What became of an offered endpoint. */
export type OfferResult = 'queued' | 'duplicate' | 'full' | 'source-full'

/**
 * The provider endpoints one lookup found, waiting to be resolved. It accepts at most
 * `maxEndpoints`, at most `maxPerSource` of them from any one answering node, ignores
 * repeats, and hands them out round-robin across the nodes that sent them: a node that answers
 * with thousands of made-up peers gets its share of the resolutions, not all of them, and the
 * real providers other nodes name are resolved in the first round. Memory is bounded by
 * `maxEndpoints`.
 *
 * @example
 * ```ts
 * import { EndpointQueue } from './endpoint-queue.js'
 * const queue = new EndpointQueue({ maxEndpoints: 256, maxPerSource: 32 })
 * const liar = { host: '10.0.0.66', port: 6881 }
 * for (let port = 1; port <= 1000; port++) queue.offer({ host: '10.9.9.9', port }, liar)
 * queue.offer({ host: '10.0.0.7', port: 6881 }, { host: '10.0.0.8', port: 6881 })
 * queue.take() // { host: '10.9.9.9', port: 1 }: the liar's first
 * queue.take() // { host: '10.0.0.7', port: 6881 }: then the other node's, not the liar's second
 * queue.size   // 31: the liar's other 968 were refused
 * ```
 */
export class EndpointQueue {
  readonly #limits: EndpointQueueLimits
  readonly #seen = new Set<string>()
  readonly #perSource = new Map<string, number>()
  readonly #queues = new Map<string, Endpoint[]>()
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

  /** The next endpoint to resolve, taking sources in turn; undefined when none waits. */
  take (): Endpoint | undefined {
    if (this.#ring.length === 0) return undefined
    if (this.#cursor >= this.#ring.length) this.#cursor = 0
    const from = this.#ring[this.#cursor]
    const queue = this.#queues.get(from) as Endpoint[]
    const endpoint = queue.shift() as Endpoint
    if (queue.length === 0) this.#ring.splice(this.#cursor, 1)
    else this.#cursor++
    this.#size--
    return endpoint
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
