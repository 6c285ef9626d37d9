import { isIP } from 'node:net'
import { InvalidConfigError } from '@codio-chunk/interface'

/** The public BitTorrent Mainline DHT routers, the default `bootstrap`. */
export const DEFAULT_BOOTSTRAP: readonly string[] = Object.freeze([
  'router.bittorrent.com:6881',
  'router.utorrent.com:6881',
  'dht.transmissionbt.com:6881',
  'dht.libtorrent.org:25401'
])

/** Address schemes a provider record may name (the node's transports; `ws`/`wss` for a WebSocket one). */
export const DEFAULT_SCHEMES: readonly string[] = Object.freeze(['tcp', 'quic', 'quinn', 'ws', 'wss'])

/** Options of `dhtDiscovery(init)`. Every one has a default. */
export interface DhtDiscoveryInit {
  /**
   * DHT nodes to join through, as `'host:port'` (host names are resolved). Default: the public
   * Mainline routers ({@link DEFAULT_BOOTSTRAP}). `[]` makes the first node of a private DHT.
   */
  bootstrap?: readonly string[]
  /** IPv4 address the DHT's UDP socket binds to. Default `'0.0.0.0'` (every interface). */
  host?: string
  /**
   * UDP port of the DHT socket. Default 0: any free port, a new one at each start. Give a fixed
   * port (Mainline clients use 6881) to keep the node reachable through a port forward, and so
   * that other nodes' routing tables still point at it after a restart.
   */
  port?: number
  /**
   * A JSON file that keeps the routing table across restarts: read at `start` (the table starts
   * from it, not empty), written at `stop` and every `stateSaveInterval`, atomically. A missing,
   * corrupt or oversized file is ignored (and logged). Default: none.
   */
  stateFile?: string
  /** How often the routing table is written to `stateFile`, in ms. Default 5 minutes. */
  stateSaveInterval?: number
  /** How often the node should announce each content again, in ms. Default 15 minutes. */
  reprovideInterval?: number
  /**
   * Most provider endpoints taken from one lookup (each gives at most one provider). Default 256.
   */
  maxProvidersPerLookup?: number
  /** Provider records fetched and checked at once during a lookup. Default 16. */
  resolveConcurrency?: number
  /** Time to fetch and check one provider's record, in ms. Default 10 seconds. */
  resolveTimeout?: number
  /** Longest a `findProviders` runs, in ms, whatever its signal says. Default 30 seconds. */
  lookupTimeout?: number
  /** Longest `start` waits for the bootstrap nodes, in ms (it then resolves anyway). Default 10 seconds. */
  bootstrapTimeout?: number
  /** Time a DHT query waits for its answer, in ms. Default 2000 (the library's). */
  queryTimeout?: number
  /** Queries answered per second for one address and port; more are dropped. Default 50. */
  maxQueriesPerSource?: number
  /** Queries answered per second from everyone together; more are dropped. Default 500. */
  maxQueriesPerSecond?: number
  /** Address schemes kept from provider records. Default {@link DEFAULT_SCHEMES}. */
  schemes?: readonly string[]
}

/** The options, checked, with defaults filled in. */
export interface DhtSettings {
  bootstrap: Array<{ host: string, port: number }>
  host: string
  port: number
  stateFile: string | undefined
  stateSaveInterval: number
  reprovideInterval: number
  maxProvidersPerLookup: number
  resolveConcurrency: number
  resolveTimeout: number
  lookupTimeout: number
  bootstrapTimeout: number
  queryTimeout: number
  maxQueriesPerSource: number
  maxQueriesPerSecond: number
  schemes: ReadonlySet<string>
}

const SECOND = 1000
const MINUTE = 60 * SECOND
const DAY = 24 * 60 * MINUTE

/**
 * Checks `dhtDiscovery`'s options and fills in the defaults. Throws `InvalidConfigError` naming
 * the option, what it takes and what it got.
 *
 * @example
 * ```ts
 * import { checkInit } from './options.js'
 * checkInit({ bootstrap: ['127.0.0.1:6881'], port: 0 }).bootstrap // [{ host: '127.0.0.1', port: 6881 }]
 * checkInit({ port: 70000 }) // throws InvalidConfigError: dhtDiscovery port takes a whole number from 0 to 65535, got 70000
 * ```
 */
export function checkInit (init: DhtDiscoveryInit = {}): DhtSettings {
  if (init === null || typeof init !== 'object') throw invalid('options', 'an object', init)
  const host = init.host ?? '0.0.0.0'
  if (typeof host !== 'string' || isIP(host) !== 4) throw invalid('host', 'an IPv4 address such as \'0.0.0.0\' (the DHT is IPv4 only)', host)
  const stateFile = init.stateFile
  if (stateFile !== undefined && (typeof stateFile !== 'string' || stateFile.length === 0)) throw invalid('stateFile', 'a file path', stateFile)
  return {
    bootstrap: checkBootstrap(init.bootstrap ?? DEFAULT_BOOTSTRAP),
    host,
    port: integer(init.port, 0, 0, 65535, 'port'),
    stateFile,
    stateSaveInterval: integer(init.stateSaveInterval, 5 * MINUTE, SECOND, DAY, 'stateSaveInterval'),
    reprovideInterval: integer(init.reprovideInterval, 15 * MINUTE, SECOND, DAY, 'reprovideInterval'),
    maxProvidersPerLookup: integer(init.maxProvidersPerLookup, 256, 1, 4096, 'maxProvidersPerLookup'),
    resolveConcurrency: integer(init.resolveConcurrency, 16, 1, 256, 'resolveConcurrency'),
    resolveTimeout: integer(init.resolveTimeout, 10 * SECOND, 100, 10 * MINUTE, 'resolveTimeout'),
    lookupTimeout: integer(init.lookupTimeout, 30 * SECOND, 100, DAY, 'lookupTimeout'),
    bootstrapTimeout: integer(init.bootstrapTimeout, 10 * SECOND, 0, 10 * MINUTE, 'bootstrapTimeout'),
    queryTimeout: integer(init.queryTimeout, 2 * SECOND, 100, MINUTE, 'queryTimeout'),
    maxQueriesPerSource: integer(init.maxQueriesPerSource, 50, 1, 1_000_000, 'maxQueriesPerSource'),
    maxQueriesPerSecond: integer(init.maxQueriesPerSecond, 500, 1, 1_000_000, 'maxQueriesPerSecond'),
    schemes: checkSchemes(init.schemes ?? DEFAULT_SCHEMES)
  }
}

/**
 * Reads `'host:port'` (IPv4 address or host name; port 1 to 65535).
 *
 * @example
 * ```ts
 * import { parseEndpoint } from './options.js'
 * parseEndpoint('router.bittorrent.com:6881') // { host: 'router.bittorrent.com', port: 6881 }
 * parseEndpoint('[::1]:6881')                 // undefined: the DHT is IPv4 only
 * ```
 */
export function parseEndpoint (text: string): { host: string, port: number } | undefined {
  if (typeof text !== 'string' || text.length > 260) return undefined
  const colon = text.lastIndexOf(':')
  if (colon <= 0) return undefined
  const host = text.slice(0, colon)
  const portText = text.slice(colon + 1)
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined
  const port = Number(portText)
  if (port < 1 || port > 65535) return undefined
  if (isIP(host) === 4) return { host, port }
  if (isIP(host) !== 0 || !/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host)) return undefined
  if (/^[0-9.]+$/.test(host)) return undefined // looks like an IPv4 address but is not one
  return { host, port }
}

function checkBootstrap (list: readonly string[]): Array<{ host: string, port: number }> {
  if (!Array.isArray(list)) throw invalid('bootstrap', 'an array of \'host:port\' strings', list)
  if (list.length > 256) throw invalid('bootstrap', 'at most 256 entries', `${list.length} entries`)
  return list.map((entry) => {
    const endpoint = parseEndpoint(entry)
    if (endpoint === undefined) throw invalid('bootstrap', '\'host:port\' entries (IPv4 address or host name, port 1 to 65535) such as \'router.bittorrent.com:6881\'', entry)
    return endpoint
  })
}

function checkSchemes (list: readonly string[]): ReadonlySet<string> {
  if (!Array.isArray(list) || list.length === 0 || !list.every(s => typeof s === 'string' && /^[a-z][a-z0-9+.-]{0,31}$/.test(s))) {
    throw invalid('schemes', 'a non-empty array of lower-case address schemes such as [\'tcp\', \'quic\']', list)
  }
  return new Set(list)
}

function integer (value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min || value > max) throw invalid(name, `a whole number from ${min} to ${max}`, value)
  return value
}

function invalid (name: string, expected: string, got: unknown): InvalidConfigError {
  let shown: string
  try {
    shown = typeof got === 'string' ? `"${got}"` : JSON.stringify(got) ?? String(got)
  } catch {
    shown = String(got)
  }
  if (shown.length > 80) shown = `${shown.slice(0, 80)}…`
  return new InvalidConfigError(`dhtDiscovery ${name} takes ${expected}, got ${shown}`)
}
