import { join } from 'node:path'
import { dhtDiscovery, DEFAULT_BOOTSTRAP } from '@codio-chunk/discovery-dht'
import { trackerDiscovery } from '@codio-chunk/discovery-tracker'
import type { ChunkDistributor, DiscoveryFactory } from '@codio-chunk/core'
import type { DhtDiscovery } from '@codio-chunk/discovery-dht'
import type { Settings } from './settings.js'

/** The data dir file that keeps the DHT's routing table across restarts. */
export const DHT_STATE_FILE = 'dht.json'

/**
 * True when the node joins the DHT: `--no-dht` (or `"dht": false` in the config file) turns it
 * off; when neither says, `$CODIO_CHUNK_DHT=off` does (hosts and test suites with no route to the
 * public DHT).
 */
export function dhtEnabled (settings: Settings, env: Record<string, string | undefined>): boolean {
  const value = settings.values.dht
  if (typeof value === 'boolean') return value
  return env.CODIO_CHUNK_DHT?.toLowerCase() !== 'off'
}

/** Options of {@link discoveriesFor} the settings do not give. */
export interface DiscoveryChoice {
  /** DHT bootstrap nodes instead of `--bootstrap` (the demo's local DHT). */
  bootstrap?: readonly string[]
  /** DHT routing table file instead of the data dir's (the demo's nodes keep none). */
  stateFile?: string | null
  /** Host the DHT socket binds to (default: every interface). */
  host?: string
}

/**
 * The discoveries a command's node runs, from its settings: the Mainline DHT (unless turned off;
 * bootstrap from `--bootstrap`, else the public routers; routing table kept in the data dir) and
 * each `--tracker`.
 *
 * @example
 * ```ts
 * const discovery = discoveriesFor(settings, process.env)
 * const node = await ChunkDistributor.create(config, { ...plugins, discovery })
 * ```
 */
export function discoveriesFor (settings: Settings, env: Record<string, string | undefined>, choice: DiscoveryChoice = {}): DiscoveryFactory[] {
  const out: DiscoveryFactory[] = []
  if (dhtEnabled(settings, env)) {
    const bootstrap = choice.bootstrap ?? (settings.values.bootstrap as string[] | undefined) ?? DEFAULT_BOOTSTRAP
    const stateFile = choice.stateFile === null ? undefined : choice.stateFile ?? join(settings.dataDir, DHT_STATE_FILE)
    out.push(dhtDiscovery({ bootstrap, port: settings.values.dhtPort as number | undefined, stateFile, host: choice.host }))
  }
  const trackers = settings.values.tracker as string[] | undefined
  if (trackers !== undefined && trackers.length > 0) out.push(trackerDiscovery({ announce: trackers }))
  return out
}

/** The node's DHT discovery, if it runs one (for its address and stats). */
export function dhtOf (node: ChunkDistributor): DhtDiscovery | undefined {
  return node.discoveries.find((d): d is DhtDiscovery => d.name === 'dht' && 'dhtAddress' in d)
}
