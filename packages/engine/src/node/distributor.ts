import { ChunkConfig } from '../config.js'
import { defaultStrategy } from '../default-strategy.js'
import { TypedEmitter } from '../events.js'
import { memoryStorage } from '../memory-storage.js'
import { systemClock, type Clock } from '../peers/rate-meter.js'
import { collectPeerStats, type PeerStats } from '../peers/peer-stats.js'
import { createEngineUnits, type EngineUnits } from './engine-units.js'
import { toContentId, type ContentRef } from './content-ref.js'
import { readAll, readContentFrom } from './content-io.js'
import { streamContent, type StreamOptions } from './content-stream.js'
import { makeDiscoveries, makePlugin, makeTransports } from './plugins.js'
import { createComponents } from '@codio-chunk/protocol'
import { DEFAULT_MAX_FRAME_SIZE, InvalidConfigError, NodeStoppedError, NotFoundError, silentLoggerFactory } from '@codio-chunk/interface'
import type { PublishOptions } from './content-publisher.js'
import type { DistributorEvents } from './distributor-events.js'
import type { DownloadProgress } from '../download/peer-download.js'
import type { ContentSwarm } from '../swarm/swarm.js'
import type { AbortOptions, BufferPool, Components, ContentId, Discovery, DiscoveryFactory, Identity, LoggerFactory, Manifest, ProviderRecord, Storage, StorageFactory, Strategy, TransportFactory, Verifier } from '@codio-chunk/interface'

/** The plugins and settings a {@link ChunkDistributor} runs with. */
export interface DistributorInit {
  /**
   * Transport factories, at least one: `[tcpTransport(), quinnTransport()]`. The node calls each
   * once with its components (identity, logger, buffer pool, frame limit).
   */
  transports: TransportFactory[]
  /** Verifier(s); the first one also hashes content this node publishes. */
  verifier: Verifier | Verifier[]
  /**
   * Where manifests and chunks live, as a factory (`fsStorage({ dir })`, `memoryStorage()`) the
   * node calls once with its components. Default: in memory. The node closes it on `stop()`.
   */
  storage?: StorageFactory
  /** Addresses to listen on, e.g. `['tcp://0.0.0.0:4001']`. Default: none (download-only, still serves peers it dials). */
  listen?: string[]
  /**
   * How the node finds providers when it is given no addresses and tells others what it holds,
   * as factories the node calls with its components: `[dhtDiscovery()]` from
   * `@codio-chunk/discovery-dht`, `[trackerDiscovery({ announce })]` from
   * `@codio-chunk/discovery-tracker`. Started after the node listens; everything it holds
   * completely is announced, and again before the announcements expire. Default: none.
   */
  discovery?: DiscoveryFactory[]
  /** The node's key pair (`PeerIdentity.generate()`, `PeerIdentity.fromSeed(seed)`). Default: a new random one. */
  identity?: Identity
  /** Strategy, if the config does not name one (default: rarest-first). */
  strategy?: Strategy
  /** Logger factory (debug-style namespaces); every plugin logs through it too. Default: silent. */
  logger?: LoggerFactory
  /** The pool chunk buffers are lent from. Default: the process-wide one (`chunkBuffers`). */
  buffers?: BufferPool
  /** Clock in milliseconds (tests inject one). */
  clock?: Clock
  /** Software name sent in the hello. */
  agent?: string
}

/** How `storeContent` / `importContent` chunk and address a content. */
export type StoreOptions = PublishOptions

export interface DownloadOptions extends AbortOptions {
  /** Seed for the strategy's random choices (tests). */
  seed?: number
}

/**
 * A codio-chunk node: publishes content, downloads it from many peers at once and serves what it
 * holds to others.
 *
 * @example
 * ```ts
 * import { ChunkConfig, ChunkDistributor, memoryStorage } from '@codio-chunk/core'
 * import { tcpTransport } from '@codio-chunk/transport-tcp'
 * import { sha256Verifier } from '@codio-chunk/verifier-sha256'
 * import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
 *
 * const config = ChunkConfig.builder().strategy(rarestFirst()).build()
 * const plugins = () => ({ transports: [tcpTransport()], verifier: sha256Verifier(), storage: memoryStorage(), listen: ['tcp://127.0.0.1:0'] })
 * const seeder = await ChunkDistributor.create(config, plugins())
 * const leecher = await ChunkDistributor.create(config, plugins())
 * const cid = await seeder.storeContent(new TextEncoder().encode('hello world\n'))
 * const bytes = await leecher.downloadContent(cid, seeder.addresses)
 * await Promise.all([seeder.stop(), leecher.stop()])
 * ```
 */
export class ChunkDistributor {
  readonly config: ChunkConfig
  readonly identity: Identity
  /** What the node gave its plugins: identity, logger, buffer pool, frame limit, verifiers. */
  readonly components: Components
  /** Typed events: `peer:connect`, `chunk:verified`, `download:complete`, … */
  readonly events: TypedEmitter<DistributorEvents>
  readonly storage: Storage
  private readonly units: EngineUnits
  private readonly verifiers: Verifier[]
  /** Aborts manifest fetches and dials in progress when the node stops. */
  private readonly stopController = new AbortController()
  private stopped = false

  private constructor (config: ChunkConfig, init: DistributorInit) {
    const strategy = config.strategy ?? init.strategy ?? defaultStrategy
    this.verifiers = Array.isArray(init.verifier) ? init.verifier : init.verifier === undefined ? [] : [init.verifier]
    if (this.verifiers.length === 0) throw new InvalidConfigError('A verifier is needed, e.g. verifier: sha256Verifier() from @codio-chunk/verifier-sha256')
    this.config = config
    const maxFrameSize = Math.max(DEFAULT_MAX_FRAME_SIZE, config.maxChunkSize + 4096)
    this.components = createComponents({
      identity: init.identity,
      logger: init.logger ?? silentLoggerFactory,
      buffers: init.buffers,
      maxFrameSize,
      verifiers: this.verifiers,
      addresses: () => this.addresses
    })
    this.identity = this.components.identity
    const transports = makeTransports(init.transports, this.components)
    const discoveries = makeDiscoveries(init.discovery, this.components)
    this.storage = makePlugin<Storage>(init.storage ?? memoryStorage(), this.components, 'storage', 'fsStorage({ dir }) from @codio-chunk/storage-fs')
    this.events = new TypedEmitter(this.components.logger('codio-chunk:distributor'))
    this.units = createEngineUnits({
      config,
      components: this.components,
      transports,
      discoveries,
      storage: this.storage,
      verifiers: this.verifiers,
      strategy,
      events: this.events,
      clock: init.clock ?? systemClock,
      agent: init.agent ?? 'codio-chunk/1.0.0',
      stopSignal: this.stopController.signal
    })
  }

  /**
   * Creates a node and starts listening on `init.listen`. Rejects with InvalidConfigError for a
   * missing plugin, InvalidAddressError for an address no transport handles, or the transport's
   * error (e.g. the port is in use).
   */
  static async create (config: ChunkConfig = ChunkConfig.default(), init: DistributorInit): Promise<ChunkDistributor> {
    const node = new ChunkDistributor(config, init)
    try {
      for (const address of init.listen ?? []) await node.units.peers.listen(address)
      await node.units.discovery.start({ signal: node.stopController.signal })
      await node.units.announcer.start()
    } catch (err) {
      await node.stop()
      throw err
    }
    return node
  }

  /** This node's peer id (libp2p form, `12D3KooW…`). */
  get peerId (): string {
    return this.identity.peerId
  }

  /** Addresses other peers can dial, e.g. `['tcp://127.0.0.1:40123']`. */
  get addresses (): string[] {
    return this.units.peers.addresses
  }

  /**
   * Publishes content held in memory: chunks it, computes its CID exactly as `ipfs add` would, and
   * stores manifest and chunks. With a CID first, checks the bytes match it (ContentMismatchError).
   * The storage may keep references to `bytes`: do not modify them afterwards.
   */
  async storeContent (bytes: Uint8Array, options?: StoreOptions): Promise<ContentId>
  async storeContent (cid: ContentRef, bytes: Uint8Array, options?: StoreOptions): Promise<ContentId>
  async storeContent (a: Uint8Array | ContentRef, b?: Uint8Array | StoreOptions, c?: StoreOptions): Promise<ContentId> {
    this.assertRunning()
    const expected = a instanceof Uint8Array ? undefined : toContentId(a)
    const bytes = (a instanceof Uint8Array ? a : b) as Uint8Array
    const options = (a instanceof Uint8Array ? b : c) as StoreOptions | undefined
    if (!(bytes instanceof Uint8Array)) throw new TypeError('storeContent needs the content as a Uint8Array')
    const cid = await this.units.publisher.storeBytes(bytes, expected, options)
    this.units.announcer.add(cid)
    return cid
  }

  /**
   * Publishes content read from a stream without holding it in memory (large files). `open` is
   * called twice: once to compute the manifest, once to store the chunks.
   *
   * @example
   * ```ts
   * import { createReadStream } from 'node:fs'
   * const cid = await node.importContent(() => createReadStream('video.mp4'))
   * ```
   */
  async importContent (open: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options?: StoreOptions): Promise<ContentId> {
    this.assertRunning()
    const cid = await this.units.publisher.importStream(open, options)
    this.units.announcer.add(cid)
    return cid
  }

  /**
   * Downloads a content into storage from the given providers (and every peer they lead to),
   * resuming from chunks already stored. Resolves when every chunk is verified and stored. With
   * discoveries configured, providers may be left out: the node looks them up and dials each as it
   * is found (beside any given ones, never holding them up), and keeps looking while the swarm is
   * small. Rejects with NoProvidersError, InvalidContentIdError, InvalidAddressError, AbortError,
   * StorageError or UnsupportedHashError.
   *
   * @example
   * ```ts
   * const node = await ChunkDistributor.create(config, { ...plugins, discovery: [dhtDiscovery()] })
   * await node.download('bafkrei…')               // providers found through the DHT
   * await node.download(cid, ['tcp://192.0.2.1:4001']) // given ones, plus any found
   * ```
   */
  async download (cid: ContentRef, providers: readonly string[] = [], options: DownloadOptions = {}): Promise<ContentId> {
    const root = this.checkFetch(cid, providers)
    await this.units.coordinator.download(root, providers, options)
    return root
  }

  /**
   * The manifest of a content (its DAG's interior blocks, chunk CIDs and sizes): from storage, or
   * fetched from the providers (and any the discoveries find), verified block by block against the
   * CID and stored. No chunk is downloaded, so this is what answering "how big is it, what are its
   * blocks" costs. Rejects as {@link download} does.
   *
   * @example
   * ```ts
   * const manifest = await node.fetchManifest(cid, { providers: ['tcp://192.0.2.1:4001'], signal: AbortSignal.timeout(30_000) })
   * console.log(manifest.totalSize, manifest.chunkCount)
   * ```
   */
  async fetchManifest (cid: ContentRef, options: AbortOptions & { providers?: readonly string[] } = {}): Promise<Manifest> {
    const root = this.checkFetch(cid, options.providers)
    const swarm = await this.units.coordinator.resolve(root, options.providers ?? [], options)
    return swarm.manifest
  }

  /**
   * Streams bytes `start` to `end` (inclusive) of a content in order, each piece as soon as its
   * chunk is verified: playback can begin long before the download completes. The content's
   * download is started (or joined: readers of one content share it) with the given providers
   * and/or the node's discoveries, and asks peers for the chunks just after each reader's position
   * first, whatever the node's strategy (a window of `READ_WINDOW_CHUNKS`); the sequential strategy
   * also continues from the earliest reader. Each chunk is awaited (woken when stored, no polling),
   * read back from storage and sliced to the range. Content already held streams straight from
   * storage without any download. The consumer pulls: nothing is read ahead, a reader holds one
   * chunk at a time. A consumer that stops (`break`, `return`, a thrown error or `signal`) leaves;
   * the download stops once no reader or `download()` caller still wants it (chunks stored so far
   * are kept for a later resume). `end` past the last byte means the last byte.
   *
   * Rejects (on the first iteration, as a generator does) with RangeError for a bad range (`start`
   * past the end, `end < start`), NoProvidersError, InvalidContentIdError, InvalidAddressError,
   * UnsupportedHashError, AbortError, NodeStoppedError, NotFoundError or StorageError.
   *
   * @example
   * ```ts
   * // The second megabyte of a video, from a seeder and anyone the discoveries find.
   * for await (const bytes of node.streamContent(cid, { start: 1 << 20, end: (2 << 20) - 1, providers: ['tcp://192.0.2.1:4001'] })) {
   *   player.append(bytes)
   * }
   * ```
   */
  async * streamContent (cid: ContentRef, options: StreamOptions = {}): AsyncGenerator<Uint8Array> {
    const root = this.checkFetch(cid, options.providers)
    const { coordinator } = this.units
    yield * streamContent({
      storage: this.storage,
      swarm: async (id, providers, opts) => await coordinator.resolve(id, providers, opts),
      download: async (id, providers, opts) => { await coordinator.download(id, providers, opts) }
    }, root, options)
  }

  /** Downloads a content and returns its bytes (see {@link download}). */
  async downloadContent (cid: ContentRef, providers: readonly string[] = [], options: DownloadOptions = {}): Promise<Uint8Array> {
    const root = await this.download(cid, providers, options)
    return await this.readAll(root, options)
  }

  /**
   * The providers the node's discoveries find for a content, each as soon as it is found (as
   * `ipfs routing findprovs` lists them); ends when every lookup ended or `options.signal` aborts.
   * Yields nothing without discoveries.
   *
   * @example
   * ```ts
   * for await (const { peerId, addresses } of node.findProviders(cid, { signal: AbortSignal.timeout(10_000) })) {
   *   console.log(peerId ?? '(unknown id)', addresses.join(' '))
   * }
   * ```
   */
  async * findProviders (cid: ContentRef, options: AbortOptions = {}): AsyncGenerator<ProviderRecord> {
    this.assertRunning()
    const root = toContentId(cid)
    const signal = options.signal === undefined ? this.stopController.signal : AbortSignal.any([options.signal, this.stopController.signal])
    yield * this.units.discovery.findProviders(root, { signal })
  }

  /** The node's discoveries, started (for their own stats and addresses, e.g. the DHT's). */
  get discoveries (): readonly Discovery[] {
    return this.units.discovery.discoveries
  }

  /** Resolves when every announcement queued so far has been made (or failed and been logged). */
  async announced (): Promise<void> {
    await this.units.announcer.idle()
  }

  /** Streams a stored, complete content in order. Rejects with NotFoundError if it is missing or incomplete. */
  async * readContent (cid: ContentRef, options: AbortOptions = {}): AsyncGenerator<Uint8Array> {
    const swarm = await this.requireComplete(toContentId(cid))
    yield * readContentFrom(this.storage, swarm.manifest, options)
  }

  /**
   * Progress of a running download, or undefined if none is running for that content. While a
   * download with discoveries is still looking for its first provider or fetching the manifest,
   * only `discovery` says anything (`totalBytes` is 0 until the manifest is known).
   */
  downloadProgress (cid: ContentRef): DownloadProgress | undefined {
    const root = toContentId(cid)
    const progress = this.units.coordinator.running(root)?.progress()
    const search = this.units.coordinator.search(root)
    if (search === undefined) return progress
    return { ...(progress ?? { progress: 0, downloadedBytes: 0, totalBytes: 0, downloadRate: 0, peers: 0, eta: undefined }), discovery: search.progress() }
  }

  /**
   * The upload path: reads chunk `index` of a content and returns its leaf block (the bytes whose
   * hash is the chunk's CID), as the wire handler does before sending it to a peer. Rejects with
   * NotFoundError if the chunk is not stored here, RangeError for an index out of range. Bytes
   * are counted per peer when they are sent (`peerStats()`), not here; `peerId` names the peer
   * the chunk is for, which must be connected.
   */
  async serveChunk (cid: ContentRef, index: number, peerId?: string): Promise<Uint8Array> {
    const root = toContentId(cid)
    if (peerId !== undefined && this.units.peers.session(peerId) === undefined) throw new NotFoundError(`Peer ${peerId} is not connected to this node`)
    const swarm = await this.units.swarms.get(root)
    if (swarm === undefined) throw new NotFoundError(`Content ${root.toString()} is not stored on this node`)
    return await this.units.uploader.serve(swarm, index)
  }

  /**
   * Tells a running download where the consumer is (a chunk index, e.g. a playback position);
   * strategies such as `sequential()` pick from there. Returns false if no download is running.
   */
  setPosition (cid: ContentRef, index: number): boolean {
    const download = this.units.coordinator.running(toContentId(cid))
    if (download === undefined) return false
    download.setPosition(index)
    return true
  }

  /** Connects to a peer; resolves with its peer id. */
  async connect (address: string, options: AbortOptions = {}): Promise<string> {
    this.assertRunning()
    const session = await this.units.peers.dial(address, options)
    return session.peerId
  }

  /**
   * Statistics of every connected peer: bytes and rates both ways, ratio, choke and interest
   * state, whether it holds the optimistic upload slot or snubs us, bad chunks.
   */
  peerStats (): PeerStats[] {
    const { peers, uploads } = this.units
    return collectPeerStats(peers.sessions(), (session) => ({
      snubbed: uploads.isSnubbing(session),
      optimistic: uploads.slotOf(session) === 'optimistic'
    }))
  }

  /** Every content with a stored manifest. */
  async listContent (options?: AbortOptions): Promise<ContentId[]> {
    return await this.storage.list(options)
  }

  /** Stops the node: running downloads reject with NodeStoppedError, connections close, storage and verifiers are closed. */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    const error = new NodeStoppedError('The node was stopped')
    this.stopController.abort(error)
    const { uploads, swarms, coordinator, services, peers, announcer, discovery } = this.units
    announcer.stop()
    uploads.stop()
    swarms.close()
    coordinator.abortAll(error)
    services.uploadLimiter.close()
    services.downloadLimiter.close()
    await Promise.all([peers.stop(), discovery.stop()])
    await coordinator.settled()
    await Promise.allSettled([this.storage.close(), ...this.verifiers.map(async v => { await v.close?.() })])
  }

  private async readAll (root: ContentId, options: AbortOptions): Promise<Uint8Array> {
    const swarm = await this.requireComplete(root)
    return await readAll(this.storage, swarm.manifest, options)
  }

  private async requireComplete (root: ContentId): Promise<ContentSwarm> {
    const swarm = await this.units.swarms.get(root)
    if (swarm === undefined) throw new NotFoundError(`Content ${root.toString()} is not stored on this node; download it first`)
    if (!swarm.have.complete) {
      throw new NotFoundError(`Content ${root.toString()} is incomplete on this node (${swarm.have.count} of ${swarm.manifest.chunkCount} chunks); download it to finish it`)
    }
    return swarm
  }

  /** Checks what a fetch is given: the node runs, the CID is a content id this node can verify, every address has a transport. */
  private checkFetch (cid: ContentRef, providers: readonly string[] = []): ContentId {
    this.assertRunning()
    const root = toContentId(cid)
    this.units.services.verify.assertSupported(root.cid)
    for (const address of providers) this.units.peers.transportFor(address)
    return root
  }

  private assertRunning (): void {
    if (this.stopped) throw new NodeStoppedError('The node is stopped; create a new one')
  }
}
