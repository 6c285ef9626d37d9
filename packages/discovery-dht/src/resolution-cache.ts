import type { ProviderRecord } from '@codio-chunk/interface'
import type { Endpoint } from './dht-node.js'

/** How long a verified record is reused for the same endpoint, in ms. */
export const RESOLVED_TTL = 60_000
/** Most endpoints whose record is kept. */
export const MAX_RESOLVED = 1024

/**
 * Verified provider records by endpoint, for a minute: a node that looks up many contents held
 * by the same providers asks each provider's node for its record once, not once per content
 * (and stays under the query rate other nodes allow one source). Bounded: the oldest entry goes
 * when it is full.
 *
 * @example
 * ```ts
 * import { ResolutionCache } from './resolution-cache.js'
 * const cache = new ResolutionCache()
 * cache.set({ host: '10.0.0.5', port: 6881 }, { peerId: '12D3KooW…', addresses: ['tcp://10.0.0.5:4001'] })
 * cache.get({ host: '10.0.0.5', port: 6881 })?.addresses // ['tcp://10.0.0.5:4001'] for the next minute
 * ```
 */
export class ResolutionCache {
  readonly #entries = new Map<string, { provider: ProviderRecord & { peerId: string }, expires: number }>()
  readonly #ttl: number
  readonly #max: number
  readonly #now: () => number

  constructor (ttl = RESOLVED_TTL, max = MAX_RESOLVED, now: () => number = Date.now) {
    this.#ttl = ttl
    this.#max = max
    this.#now = now
  }

  get (endpoint: Endpoint): (ProviderRecord & { peerId: string }) | undefined {
    const key = `${endpoint.host}:${endpoint.port}`
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expires <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.provider
  }

  set (endpoint: Endpoint, provider: ProviderRecord & { peerId: string }): void {
    const key = `${endpoint.host}:${endpoint.port}`
    this.#entries.delete(key)
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
    this.#entries.set(key, { provider, expires: this.#now() + this.#ttl })
  }

  get size (): number {
    return this.#entries.size
  }
}
