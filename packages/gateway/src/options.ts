import { InvalidConfigError } from '@codio-chunk/interface'

/** Settings of a gateway. Times are in milliseconds. Every one is optional; see {@link GATEWAY_DEFAULTS}. */
export interface GatewayOptions {
  /**
   * Provider addresses every fetch asks (e.g. `['tcp://10.0.0.5:4001']`), besides the node's
   * connected peers and whatever its discoveries find. Default: none.
   */
  providers?: readonly string[]
  /**
   * Longest wait for new bytes of a content, as Kubo's `Gateway.RetrievalTimeout`: a request
   * whose root block (the manifest) does not arrive in time is answered 404, one whose first
   * bytes do not arrive in time 504, and a response already under way is cut off. Restarts with
   * every piece sent; does not run while the client is being waited for. 0 disables it.
   * Default 30 000 (Kubo's default).
   */
  retrievalTimeout?: number
  /**
   * Longest wait for a client to take more of a response (a write waiting for the socket to
   * drain); a client that never reads is disconnected after it. Default 60 000.
   */
  sendTimeout?: number
  /** Connections at once (`server.maxConnections`); more are refused by the socket. Default 1024. */
  maxConnections?: number
  /**
   * Contents fetched from the swarm at once on behalf of requests (readers of one content share
   * one fetch); a request for yet another content the node does not hold is answered 429 with
   * `Retry-After`. Default 32.
   */
  maxContentFetches?: number
  /** Largest request head (request line and headers) in bytes; larger ones get 431. Default 16 384. */
  maxHeaderSize?: number
  /** Time a client has to send its request head (slow-header clients). Default 10 000. */
  headersTimeout?: number
  /** Time an idle keep-alive connection stays open. Default 5 000. */
  keepAliveTimeout?: number
  /** Longest `/routing/v1/providers` lookup. Default 5 000. */
  routingTimeout?: number
  /** Most provider records in a `/routing/v1/providers` answer. Default 20 (the spec allows 100). */
  maxRoutingProviders?: number
}

/** The defaults of {@link GatewayOptions}. */
export const GATEWAY_DEFAULTS = Object.freeze({
  retrievalTimeout: 30_000,
  sendTimeout: 60_000,
  maxConnections: 1024,
  maxContentFetches: 32,
  maxHeaderSize: 16_384,
  headersTimeout: 10_000,
  keepAliveTimeout: 5_000,
  routingTimeout: 5_000,
  maxRoutingProviders: 20
})

/** Gateway settings with every default filled in. */
export type ResolvedGatewayOptions = typeof GATEWAY_DEFAULTS & { providers: readonly string[] }

const LIMITS: Record<keyof typeof GATEWAY_DEFAULTS, { min: number, max: number }> = {
  retrievalTimeout: { min: 0, max: 24 * 3600_000 },
  sendTimeout: { min: 1, max: 24 * 3600_000 },
  maxConnections: { min: 1, max: 1_000_000 },
  maxContentFetches: { min: 1, max: 100_000 },
  maxHeaderSize: { min: 1024, max: 1024 * 1024 },
  headersTimeout: { min: 1, max: 3600_000 },
  keepAliveTimeout: { min: 0, max: 3600_000 },
  routingTimeout: { min: 1, max: 600_000 },
  maxRoutingProviders: { min: 1, max: 100 }
}

/**
 * Fills in the defaults and checks every value; throws InvalidConfigError naming the option and
 * its range for a bad one, or for an option this gateway does not know.
 *
 * @example
 * ```ts
 * resolveGatewayOptions({ retrievalTimeout: 10_000 }).sendTimeout // 60000
 * resolveGatewayOptions({ sendTimeout: -1 })                      // throws InvalidConfigError
 * ```
 */
export function resolveGatewayOptions (options: GatewayOptions = {}): ResolvedGatewayOptions {
  if (options === null || typeof options !== 'object') throw new InvalidConfigError('Gateway options must be an object')
  const out: Record<string, unknown> = { ...GATEWAY_DEFAULTS, providers: [] }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue
    if (key === 'providers') {
      if (!Array.isArray(value) || value.some(a => typeof a !== 'string')) throw new InvalidConfigError('providers must be an array of address strings such as tcp://10.0.0.5:4001')
      out.providers = [...value as string[]]
      continue
    }
    const limit = LIMITS[key as keyof typeof LIMITS]
    if (limit === undefined) throw new InvalidConfigError(`Unknown gateway option "${key}"`)
    if (typeof value !== 'number' || !Number.isInteger(value) || value < limit.min || value > limit.max) {
      throw new InvalidConfigError(`${key} must be an integer from ${limit.min} to ${limit.max}, got ${String(value)}`)
    }
    out[key] = value
  }
  return out as ResolvedGatewayOptions
}
