import { InvalidConfigError } from '@codio-chunk/interface'
import type { Strategy } from '@codio-chunk/interface'

/** Every setting of a {@link ChunkDistributor}. Times are in milliseconds, sizes in bytes. */
export interface ChunkConfigOptions {
  /** Most contents downloading at once; more wait their turn. Default 10. */
  maxConcurrentDownloads: number
  /** Most chunk requests in flight to one peer. Default 4. */
  chunksPerPeer: number
  /** Time allowed for one chunk request before it is cancelled and re-requested elsewhere. Default 30 000. */
  requestTimeout: number
  /** Which chunk to request next. Default: rarest-first (see `strategy` below). */
  strategy?: Strategy
  /** Chunk size for content this node publishes. Default 262 144 (256 KiB, as `ipfs add`). */
  chunkSize: number
  /**
   * How often the optimistic unchoke slot moves to another peer. Default 30 000. A download also
   * waits up to twice this for a peer that choked it to unchoke it before giving up.
   */
  optimisticUnchokeInterval: number
  /**
   * Ratio (bytes a peer sent us / bytes we sent it) at or above which a peer is preferred for
   * upload slots while this node downloads. Default 0.8.
   */
  minUploadRatio: number
  /** Regular upload slots: peers served at once besides the optimistic unchoke. Default 4. */
  uploadSlots: number
  /** How often the choker re-ranks peers for the upload slots. Default 10 000. */
  rechokeInterval: number
  /**
   * Time without receiving anything from a peer we are interested in after which it counts as
   * snubbing us: it then gets only the optimistic slot. Default 60 000.
   */
  snubTimeout: number
  /** CID version for content this node publishes: 1 (raw leaves, default) or 0 (`ipfs add`'s `Qm…`). */
  cidVersion: 0 | 1
  /** Bad chunks a peer may send before it is disconnected and banned. Default 3. */
  maxBadChunks: number
  /** Most requests served at once to one peer; more are rejected as busy. Default 64. */
  maxRequestsServed: number
  /** Largest chunk accepted from peers. Default 4 MiB. */
  maxChunkSize: number
  /** Most peers connected for one content (peer exchange stops dialling past this). Default 50. */
  maxPeersPerContent: number
  /** Time allowed to dial a peer and exchange hellos. Default 10 000. */
  dialTimeout: number
  /**
   * Most connections at once. When they are all taken, a new inbound connection takes the place of
   * one still in its handshake, else of a peer idle for a while (nothing received from it for
   * 10 s, nothing asked of it, nothing it asked for); else it is closed at once. Default 200.
   */
  maxConnections: number
  /**
   * Most connections at once from one host (IP address), handshakes included, so one host flooding
   * a node cannot keep others out. Loopback swarms of more nodes than this need a higher value.
   * Default 64.
   */
  maxConnectionsPerHost: number
  /**
   * Time after which a connection is closed when nothing has arrived on it and neither side needs
   * the other: no request in flight either way and no interest of ours in the peer's chunks.
   * Default 120 000.
   */
  idleTimeout: number
  /**
   * Upload cap in bytes per second across all of this node's connections (token bucket; chunk
   * payloads count, small manifest blocks do not). 0, the default, means unlimited.
   */
  uploadLimit: number
  /**
   * Download cap in bytes per second across all of this node's downloads, applied when chunk
   * requests are issued (token bucket). 0, the default, means unlimited.
   */
  downloadLimit: number
  /**
   * Super-seed content this node publishes (or holds complete when it starts serving it), as
   * BitTorrent's initial seeding does: each peer is told about only a few chunks, different for
   * every peer, and more once the chunks it got are seen at other peers, so the node uploads about
   * one copy of the content and peers trade the rest. For a first seeder whose upload is the
   * swarm's bottleneck. It ends by itself once every chunk was sent at least once (or peers stall),
   * and the node then seeds normally; content it downloads is never super-seeded. While it lasts the
   * node chokes nobody (what it reveals rations its upload). Default false.
   */
  superSeed: boolean
}

const DEFAULTS: Readonly<ChunkConfigOptions> = Object.freeze({
  maxConcurrentDownloads: 10,
  chunksPerPeer: 4,
  requestTimeout: 30_000,
  strategy: undefined,
  chunkSize: 256 * 1024,
  optimisticUnchokeInterval: 30_000,
  minUploadRatio: 0.8,
  uploadSlots: 4,
  rechokeInterval: 10_000,
  snubTimeout: 60_000,
  cidVersion: 1,
  maxBadChunks: 3,
  maxRequestsServed: 64,
  maxChunkSize: 4 * 1024 * 1024,
  maxPeersPerContent: 50,
  dialTimeout: 10_000,
  maxConnections: 200,
  maxConnectionsPerHost: 64,
  idleTimeout: 120_000,
  uploadLimit: 0,
  downloadLimit: 0,
  superSeed: false
})

type NumericKey = { [K in keyof ChunkConfigOptions]-?: ChunkConfigOptions[K] extends number ? K : never }[keyof ChunkConfigOptions]

const LIMITS: Record<Exclude<NumericKey, 'cidVersion'>, { min: number, max: number, integer: boolean }> = {
  maxConcurrentDownloads: { min: 1, max: 10_000, integer: true },
  chunksPerPeer: { min: 1, max: 1024, integer: true },
  requestTimeout: { min: 1, max: 24 * 3600_000, integer: false },
  chunkSize: { min: 1024, max: 4 * 1024 * 1024, integer: true },
  optimisticUnchokeInterval: { min: 1, max: 24 * 3600_000, integer: false },
  minUploadRatio: { min: 0, max: 1000, integer: false },
  uploadSlots: { min: 1, max: 1000, integer: true },
  rechokeInterval: { min: 10, max: 24 * 3600_000, integer: false },
  snubTimeout: { min: 1, max: 24 * 3600_000, integer: false },
  maxBadChunks: { min: 1, max: 1_000_000, integer: true },
  maxRequestsServed: { min: 1, max: 65_535, integer: true },
  maxChunkSize: { min: 1024, max: 64 * 1024 * 1024, integer: true },
  maxPeersPerContent: { min: 1, max: 100_000, integer: true },
  dialTimeout: { min: 1, max: 24 * 3600_000, integer: false },
  maxConnections: { min: 1, max: 1_000_000, integer: true },
  maxConnectionsPerHost: { min: 1, max: 1_000_000, integer: true },
  idleTimeout: { min: 100, max: 24 * 3600_000, integer: false },
  uploadLimit: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: false },
  downloadLimit: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: false }
}

function check (key: keyof ChunkConfigOptions, value: unknown): void {
  if (key === 'strategy') {
    if (value !== undefined && (typeof value !== 'object' || value === null || typeof (value as Strategy).pick !== 'function' || typeof (value as Strategy).name !== 'string')) {
      throw new InvalidConfigError('strategy must be a Strategy object with a name and a pick(view) function, e.g. rarestFirst() from @codio-chunk/strategy-rarest-first')
    }
    return
  }
  if (key === 'cidVersion') {
    if (value !== 0 && value !== 1) throw new InvalidConfigError(`cidVersion must be 0 or 1, got ${String(value)}`)
    return
  }
  if (key === 'superSeed') {
    if (typeof value !== 'boolean') throw new InvalidConfigError(`superSeed must be true or false, got ${String(value)}`)
    return
  }
  const limit = LIMITS[key]
  if (limit === undefined) throw new InvalidConfigError(`Unknown configuration option "${String(key)}"`)
  if (typeof value !== 'number' || !Number.isFinite(value) || (limit.integer && !Number.isInteger(value)) || value < limit.min || value > limit.max) {
    throw new InvalidConfigError(`${key} must be ${limit.integer ? 'an integer' : 'a number'} from ${limit.min} to ${limit.max}, got ${String(value)}`)
  }
}

/**
 * Settings of a {@link ChunkDistributor}, immutable once built. `ChunkConfig.default()` gives the
 * documented defaults; `ChunkConfig.builder()` changes some of them.
 *
 * @example
 * ```ts
 * import { ChunkConfig } from '@codio-chunk/core'
 * import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
 *
 * const config = ChunkConfig.builder()
 *   .maxConcurrentDownloads(20)
 *   .chunksPerPeer(8)
 *   .requestTimeout(60_000)
 *   .strategy(rarestFirst())
 *   .chunkSize(512 * 1024)
 *   .optimisticUnchokeInterval(30_000)
 *   .minUploadRatio(0.8)
 *   .uploadSlots(4)           // plus one optimistic unchoke
 *   .rechokeInterval(10_000)
 *   .uploadLimit(2_000_000)   // bytes per second, 0 = unlimited
 *   .superSeed(true)          // a first seeder: upload about one copy, peers trade the rest
 *   .build()
 * ```
 */
export class ChunkConfig implements Readonly<ChunkConfigOptions> {
  readonly maxConcurrentDownloads!: number
  readonly chunksPerPeer!: number
  readonly requestTimeout!: number
  readonly strategy?: Strategy
  readonly chunkSize!: number
  readonly optimisticUnchokeInterval!: number
  readonly minUploadRatio!: number
  readonly uploadSlots!: number
  readonly rechokeInterval!: number
  readonly snubTimeout!: number
  readonly cidVersion!: 0 | 1
  readonly maxBadChunks!: number
  readonly maxRequestsServed!: number
  readonly maxChunkSize!: number
  readonly maxPeersPerContent!: number
  readonly dialTimeout!: number
  readonly maxConnections!: number
  readonly maxConnectionsPerHost!: number
  readonly idleTimeout!: number
  readonly uploadLimit!: number
  readonly downloadLimit!: number
  readonly superSeed!: boolean

  private constructor (options: ChunkConfigOptions) {
    Object.assign(this, options)
    Object.freeze(this)
  }

  /** The defaults (see the README's configuration table). */
  static default (): ChunkConfig {
    return new ChunkConfig({ ...DEFAULTS })
  }

  /** A builder starting from the defaults. */
  static builder (): ChunkConfigBuilder {
    return new ChunkConfigBuilder()
  }

  /**
   * A config from a plain object (e.g. a parsed config file). Unknown keys and bad values throw
   * `InvalidConfigError`.
   */
  static from (options: Partial<ChunkConfigOptions>): ChunkConfig {
    const merged: ChunkConfigOptions = { ...DEFAULTS }
    for (const [key, value] of Object.entries(options)) {
      if (!(key in DEFAULTS)) throw new InvalidConfigError(`Unknown configuration option "${key}"`)
      if (value === undefined) continue
      check(key as keyof ChunkConfigOptions, value)
      ;(merged as unknown as Record<string, unknown>)[key] = value
    }
    return new ChunkConfig(merged)
  }

  /** A builder starting from this config. */
  toBuilder (): ChunkConfigBuilder {
    return new ChunkConfigBuilder({ ...this })
  }

  /** The options as a plain object (the strategy by name). */
  toJSON (): Record<string, unknown> {
    return { ...(this as Readonly<ChunkConfigOptions>), strategy: this.strategy?.name ?? 'rarest-first' }
  }
}

/** Builds a {@link ChunkConfig}; every setter validates its value and throws `InvalidConfigError`. */
export class ChunkConfigBuilder {
  private readonly options: ChunkConfigOptions

  constructor (start: ChunkConfigOptions = { ...DEFAULTS }) {
    this.options = start
  }

  private set<K extends keyof ChunkConfigOptions>(key: K, value: ChunkConfigOptions[K]): this {
    check(key, value)
    this.options[key] = value
    return this
  }

  maxConcurrentDownloads (value: number): this { return this.set('maxConcurrentDownloads', value) }
  chunksPerPeer (value: number): this { return this.set('chunksPerPeer', value) }
  /** In milliseconds. */
  requestTimeout (value: number): this { return this.set('requestTimeout', value) }
  strategy (value: Strategy): this { return this.set('strategy', value) }
  chunkSize (value: number): this { return this.set('chunkSize', value) }
  /** In milliseconds. */
  optimisticUnchokeInterval (value: number): this { return this.set('optimisticUnchokeInterval', value) }
  minUploadRatio (value: number): this { return this.set('minUploadRatio', value) }
  /** Regular upload slots (an integer, 1 or more). */
  uploadSlots (value: number): this { return this.set('uploadSlots', value) }
  /** In milliseconds. */
  rechokeInterval (value: number): this { return this.set('rechokeInterval', value) }
  /** In milliseconds. */
  snubTimeout (value: number): this { return this.set('snubTimeout', value) }
  cidVersion (value: 0 | 1): this { return this.set('cidVersion', value) }
  maxBadChunks (value: number): this { return this.set('maxBadChunks', value) }
  maxRequestsServed (value: number): this { return this.set('maxRequestsServed', value) }
  maxChunkSize (value: number): this { return this.set('maxChunkSize', value) }
  maxPeersPerContent (value: number): this { return this.set('maxPeersPerContent', value) }
  /** In milliseconds. */
  dialTimeout (value: number): this { return this.set('dialTimeout', value) }
  maxConnections (value: number): this { return this.set('maxConnections', value) }
  maxConnectionsPerHost (value: number): this { return this.set('maxConnectionsPerHost', value) }
  idleTimeout (value: number): this { return this.set('idleTimeout', value) }
  /** Bytes per second across all connections; 0 = unlimited. */
  uploadLimit (value: number): this { return this.set('uploadLimit', value) }
  /** Bytes per second across all downloads; 0 = unlimited. */
  downloadLimit (value: number): this { return this.set('downloadLimit', value) }
  /** Super-seed content this node publishes (see {@link ChunkConfigOptions.superSeed}). */
  superSeed (value = true): this { return this.set('superSeed', value) }

  build (): ChunkConfig {
    return ChunkConfig.from(this.options)
  }
}
