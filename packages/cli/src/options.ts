import { parseDuration, parseInteger, parseNumber, parseRate, parseSize } from './units.js'
import { UsageError } from './errors.js'
import { describeValue } from './describe-value.js'

/**
 * Which commands take an option:
 * - `global`: every command (data dir, config file, output mode);
 * - `content`: commands that chunk and hash content (add, serve, get, demo);
 * - `network`: commands that run a node (serve, get, demo);
 * - `listen`: commands that accept connections (serve, get);
 * - `discovery`: commands that find providers or announce content (serve, get, providers);
 * - `get`, `providers` and `demo`: only that command.
 */
export type OptionScope = 'global' | 'content' | 'network' | 'listen' | 'discovery' | 'get' | 'providers' | 'demo'

/** One command-line option. This table drives the flags, `--help` and the config file. */
export interface OptionSpec {
  /** The name in code and in `codio-chunk.config.json`, e.g. `chunksPerPeer`. */
  key: string
  /** Commander flag syntax, e.g. `--chunks-per-peer <n>`. */
  flags: string
  description: string
  scope: OptionScope
  /** Turns a flag's text (or a config file's value) into the value used; throws UsageError. */
  parse?: (raw: unknown, name: string) => unknown
  /** The value when neither a flag nor the config file sets it. */
  default?: unknown
  /** How the default is shown in help, when it is not the plain value. */
  defaultText?: string
  /** The flag may be given several times (collects a list). */
  repeatable?: boolean
  /** The option may be set in the config file. */
  inConfigFile: boolean
  /** The value goes into the engine's ChunkConfig under the same key. */
  engine?: boolean
}

function choice (choices: readonly string[]) {
  return (raw: unknown, name: string): string => {
    if (typeof raw !== 'string' || !choices.includes(raw)) {
      throw new UsageError(`${name} must be one of ${choices.join(', ')}, got ${describeValue(raw)}`)
    }
    return raw
  }
}

function text (raw: unknown, name: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError(`${name} needs a value`)
  return raw
}

function list (raw: unknown, name: string): string[] {
  const items = Array.isArray(raw) ? raw : [raw]
  const out: string[] = []
  for (const item of items) {
    if (typeof item !== 'string') throw new UsageError(`${name} takes text values, got ${describeValue(item)}`)
    for (const part of item.split(',')) if (part.trim() !== '') out.push(part.trim())
  }
  if (out.length === 0) throw new UsageError(`${name} needs at least one value`)
  return out
}

function flag (raw: unknown, name: string): boolean {
  if (typeof raw === 'boolean') return raw
  throw new UsageError(`${name} is true or false, got ${describeValue(raw)}`)
}

const int = (min: number, max: number) => (raw: unknown, name: string) => parseInteger(raw, name, min, max)

/** `host:port` endpoints (IPv6 hosts in brackets), e.g. DHT bootstrap nodes. */
function endpoints (raw: unknown, name: string): string[] {
  const out = list(raw, name)
  for (const item of out) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(item)
    if (match === null || Number(match[2]) < 1 || Number(match[2]) > 65_535) {
      throw new UsageError(`${name} takes host:port values such as router.bittorrent.com:6881 or [::1]:6881, got ${describeValue(item)}`)
    }
  }
  return out
}

/** Tracker announce URLs: http(s)://…/announce or udp://host:port. */
function trackerUrls (raw: unknown, name: string): string[] {
  const out = list(raw, name)
  for (const item of out) {
    if (!/^(https?|udp):\/\/[^\s]+$/.test(item)) throw new UsageError(`${name} takes tracker URLs such as http://tracker.example:8000/announce or udp://tracker.example:6969, got ${describeValue(item)}`)
  }
  return out
}

/** Every option of every command. */
export const OPTIONS: readonly OptionSpec[] = [
  // global
  { key: 'dataDir', flags: '--data-dir <dir>', scope: 'global', parse: text, inConfigFile: false, description: 'the node\'s data directory (store, identity, config file)', defaultText: '$CODIO_CHUNK_HOME or ~/.codio-chunk' },
  { key: 'config', flags: '--config <file>', scope: 'global', parse: text, inConfigFile: false, description: 'configuration file', defaultText: '<data dir>/codio-chunk.config.json if it exists' },
  { key: 'json', flags: '--json', scope: 'global', parse: flag, inConfigFile: false, default: false, description: 'machine-readable JSON output only (no progress bars)' },
  { key: 'debug', flags: '--debug', scope: 'global', parse: flag, inConfigFile: false, default: false, description: 'show stack traces and engine debug logs on stderr' },

  // content
  { key: 'chunkSize', flags: '--chunk-size <size>', scope: 'content', parse: parseSize, engine: true, inConfigFile: true, default: 256 * 1024, defaultText: '256KiB', description: 'size of each chunk when adding content (1KiB to 4MiB)' },
  { key: 'cidVersion', flags: '--cid-version <0|1>', scope: 'content', parse: (raw, name) => parseInteger(raw, name, 0, 1), engine: true, inConfigFile: true, default: 1, description: 'CID version of added content: 1 (raw leaves, like `ipfs add --cid-version 1`) or 0 (like `ipfs add`)' },
  { key: 'verifier', flags: '--verifier <name>', scope: 'content', parse: text, inConfigFile: true, default: 'sha256', description: 'hash of content this node adds: sha256 (node:crypto), sha256-wasm (hash-wasm WebAssembly) or blake3 (other CIDs); content of any of them can be fetched' },

  // network: the spec's configuration table first
  { key: 'maxConcurrentDownloads', flags: '--max-concurrent-downloads <n>', scope: 'network', parse: int(1, 10_000), engine: true, inConfigFile: true, default: 10, description: 'contents downloaded at once' },
  { key: 'chunksPerPeer', flags: '--chunks-per-peer <n>', scope: 'network', parse: int(1, 1024), engine: true, inConfigFile: true, default: 4, description: 'chunk requests in flight per peer' },
  { key: 'requestTimeout', flags: '--request-timeout <duration>', scope: 'network', parse: parseDuration, engine: true, inConfigFile: true, default: 30_000, defaultText: '30s', description: 'time a peer has to deliver one chunk before it is asked of another' },
  { key: 'strategy', flags: '--strategy <name|module>', scope: 'network', parse: text, inConfigFile: true, default: 'rarest-first', description: 'chunk order: rarest-first, sequential, random, or the path of a strategy plugin module' },
  { key: 'optimisticUnchokeInterval', flags: '--optimistic-unchoke-interval <duration>', scope: 'network', parse: parseDuration, engine: true, inConfigFile: true, default: 30_000, defaultText: '30s', description: 'how often the optimistic unchoke slot moves to another peer' },
  { key: 'minUploadRatio', flags: '--min-upload-ratio <ratio>', scope: 'network', parse: parseNumber, engine: true, inConfigFile: true, default: 0.8, description: 'upload/download ratio at or above which a peer is preferred for upload slots' },
  { key: 'uploadSlots', flags: '--upload-slots <n>', scope: 'network', parse: int(1, 1000), engine: true, inConfigFile: true, default: 4, description: 'peers served at once by tit-for-tat, besides the optimistic unchoke' },
  { key: 'rechokeInterval', flags: '--rechoke-interval <duration>', scope: 'network', parse: parseDuration, engine: true, inConfigFile: true, default: 10_000, defaultText: '10s', description: 'how often the choker re-ranks peers for the upload slots' },
  { key: 'snubTimeout', flags: '--snub-timeout <duration>', scope: 'network', parse: parseDuration, engine: true, inConfigFile: true, default: 60_000, defaultText: '60s', description: 'time without data from a peer we want chunks from before it counts as snubbing us' },
  { key: 'superSeed', flags: '--super-seed', scope: 'network', parse: flag, engine: true, inConfigFile: true, default: false, description: 'initial seeding: reveal chunks to each peer a few at a time so this node uploads about one copy while peers trade the rest' },
  // network: transports, limits and safety bounds
  { key: 'transport', flags: '--transport <name>', scope: 'network', parse: list, repeatable: true, inConfigFile: true, default: ['tcp'], defaultText: 'tcp', description: 'transports to dial and listen with (repeatable): tcp, quic (@matrixai/quic), quinn (native quinn, fast), ws (WebSocket, ws:// addresses that browsers dial); both QUIC transports authenticate peer ids by TLS 1.3 certificate, ws by a signed challenge' },
  { key: 'uploadLimit', flags: '--upload-limit <rate>', scope: 'network', parse: parseRate, engine: true, inConfigFile: true, default: 0, defaultText: '0 (unlimited)', description: 'node-wide upload cap in bytes/s, e.g. 8MiB/s' },
  { key: 'downloadLimit', flags: '--download-limit <rate>', scope: 'network', parse: parseRate, engine: true, inConfigFile: true, default: 0, defaultText: '0 (unlimited)', description: 'node-wide download cap in bytes/s, e.g. 20MiB/s' },
  { key: 'maxBadChunks', flags: '--max-bad-chunks <n>', scope: 'network', parse: int(1, 1_000_000), engine: true, inConfigFile: true, default: 3, description: 'bad chunks after which a peer is disconnected and banned' },
  { key: 'maxRequestsServed', flags: '--max-requests-served <n>', scope: 'network', parse: int(1, 65_535), engine: true, inConfigFile: true, default: 64, description: 'requests one peer may have open with this node' },
  { key: 'maxChunkSize', flags: '--max-chunk-size <size>', scope: 'network', parse: parseSize, engine: true, inConfigFile: true, default: 4 * 1024 * 1024, defaultText: '4MiB', description: 'largest chunk accepted from peers' },
  { key: 'maxPeersPerContent', flags: '--max-peers-per-content <n>', scope: 'network', parse: int(1, 100_000), engine: true, inConfigFile: true, default: 50, description: 'peers a download uses at once' },
  { key: 'dialTimeout', flags: '--dial-timeout <duration>', scope: 'network', parse: parseDuration, engine: true, inConfigFile: true, default: 10_000, defaultText: '10s', description: 'time to connect to a peer' },
  { key: 'maxConnections', flags: '--max-connections <n>', scope: 'network', parse: int(1, 1_000_000), engine: true, inConfigFile: true, default: 200, description: 'open connections at most' },
  { key: 'maxConnectionsPerHost', flags: '--max-connections-per-host <n>', scope: 'network', parse: int(1, 1_000_000), engine: true, inConfigFile: true, default: 64, description: 'open connections from one IP address at most' },
  { key: 'idleTimeout', flags: '--idle-timeout <duration>', scope: 'network', parse: parseDuration, engine: true, inConfigFile: true, default: 120_000, defaultText: '120s', description: 'close a connection on which nothing arrived for this long, when neither side needs the other' },

  // listen
  { key: 'listen', flags: '--listen <address>', scope: 'listen', parse: list, repeatable: true, inConfigFile: true, description: 'address to accept peers on (repeatable), e.g. tcp://0.0.0.0:4001', defaultText: 'serve: tcp://0.0.0.0:4001; get --seed: tcp://0.0.0.0:0' },

  // discovery
  { key: 'dht', flags: '--no-dht', scope: 'discovery', parse: flag, inConfigFile: true, defaultText: 'on (off when $CODIO_CHUNK_DHT is "off")', description: 'do not join the BitTorrent Mainline DHT: no provider lookups or announcements through it' },
  { key: 'bootstrap', flags: '--bootstrap <host:port>', scope: 'discovery', parse: endpoints, repeatable: true, inConfigFile: true, defaultText: 'the public Mainline routers (router.bittorrent.com:6881, router.utorrent.com:6881, dht.transmissionbt.com:6881, dht.libtorrent.org:25401)', description: 'DHT node to join through (repeatable); a private DHT is just another list' },
  { key: 'dhtPort', flags: '--dht-port <port>', scope: 'discovery', parse: int(0, 65_535), inConfigFile: true, default: 0, defaultText: '0 (any free port)', description: 'UDP port of the DHT (Mainline clients use 6881)' },
  { key: 'tracker', flags: '--tracker <url>', scope: 'discovery', parse: trackerUrls, repeatable: true, inConfigFile: true, description: 'BitTorrent tracker to announce to and find providers on (repeatable): http://host:port/announce or udp://host:port' },

  // get
  { key: 'peer', flags: '--peer <address>', scope: 'get', parse: list, repeatable: true, inConfigFile: false, description: 'a provider to download from (repeatable), e.g. tcp://10.0.0.5:4001' },
  { key: 'peersFile', flags: '--peers-file <file>', scope: 'get', parse: text, inConfigFile: false, description: 'file of provider addresses, one per line (# starts a comment)' },
  { key: 'output', flags: '-o, --output <file>', scope: 'get', parse: text, inConfigFile: false, description: 'where to write the content (- for stdout)', defaultText: './<cid>' },
  { key: 'seed', flags: '--seed', scope: 'get', parse: flag, inConfigFile: false, default: false, description: 'accept peers and keep seeding after the download until interrupted' },

  // providers
  { key: 'timeout', flags: '--timeout <duration>', scope: 'providers', parse: parseDuration, inConfigFile: false, default: 30_000, defaultText: '30s', description: 'how long to look' },

  // demo
  { key: 'discovery', flags: '--discovery <how>', scope: 'demo', parse: choice(['address', 'dht']), inConfigFile: false, default: 'address', description: 'how peers find the seeder: address (they are told its address) or dht (a local DHT on loopback; they are told only the CID)' },
  { key: 'peers', flags: '--peers <n>', scope: 'demo', parse: int(1, 32), inConfigFile: false, default: 4, description: 'peers fetching at once' },
  { key: 'size', flags: '--size <size>', scope: 'demo', parse: parseSize, inConfigFile: false, default: 64 * 1024 * 1024, defaultText: '64MiB', description: 'size of the generated file' }
]

/** The flag name (`--chunks-per-peer`) of an option. */
export function flagName (spec: OptionSpec): string {
  return /--[a-z0-9-]+/.exec(spec.flags)?.[0] ?? spec.key
}

/** The options a command with these scopes takes. */
export function optionsFor (scopes: readonly OptionScope[]): OptionSpec[] {
  return OPTIONS.filter(o => scopes.includes(o.scope))
}

/** Help text of an option: its description and default. */
export function helpText (spec: OptionSpec): string {
  const shown = spec.defaultText ?? (spec.default === undefined || spec.default === false ? undefined : String(spec.default))
  return shown === undefined ? spec.description : `${spec.description} (default: ${shown})`
}
