import { ChunkConfig } from '../config.js'
import { defaultStrategy } from '../default-strategy.js'
import { TypedEmitter } from '../events.js'
import { memoryStorage } from '../memory-storage.js'
import { systemClock, type Clock } from '../peers/rate-meter.js'
import { collectPeerStats, type PeerStats } from '../peers/peer-stats.js'
import { createEngineUnits, type EngineUnits } from './engine-units.js'
import { toContentId, type ContentRef } from './content-ref.js'
import { readAll, readContentFrom } from './content-io.js'
import { createComponents } from '@codio-chunk/protocol'
import { DEFAULT_MAX_FRAME_SIZE, InvalidConfigError, NodeStoppedError, NotFoundError, silentLoggerFactory } from '@codio-chunk/interface'
import type { PublishOptions } from './content-publisher.js'
import type { DistributorEvents } from './distributor-events.js'
import type { DownloadProgress } from '../download/peer-download.js'
import type { ContentSwarm } from '../swarm/swarm.js'
import type { AbortOptions, BufferPool, Components, ContentId, Identity, LoggerFactory, Storage, StorageFactory, Strategy, Transport, TransportFactory, Verifier } from '@codio-chunk/interface'

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
    this.components = createComponents({ identity: init.identity, logger: init.logger ?? silentLoggerFactory, buffers: init.buffers, maxFrameSize, verifiers: this.verifiers })
    this.identity = this.components.identity
    const transports = makeTransports(init.transports, this.components)
    this.storage = makePlugin<Storage>(init.storage ?? memoryStorage(), this.components, 'storage', 'fsStorage({ dir }) from @codio-chunk/storage-fs')
    this.events = new TypedEmitter(this.components.logger('codio-chunk:distributor'))
    this.units = createEngineUnits({
      config,
      components: this.components,
      transports,
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
    return await this.units.publisher.storeBytes(bytes, expected, options)
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
    return await this.units.publisher.importStream(open, options)
  }

  /**
   * Downloads a content into storage from the given providers (and every peer they lead to),
   * resuming from chunks already stored. Resolves when every chunk is verified and stored.
   * Rejects with NoProvidersError, InvalidContentIdError, InvalidAddressError, AbortError,
   * StorageError or UnsupportedHashError.
   */
  async download (cid: ContentRef, providers: readonly string[], options: DownloadOptions = {}): Promise<ContentId> {
    this.assertRunning()
    const root = toContentId(cid)
    this.units.services.verify.assertSupported(root.cid)
    for (const address of providers) this.units.peers.transportFor(address)
    await this.units.coordinator.download(root, providers, options)
    return root
  }

  /** Downloads a content and returns its bytes (see {@link download}). */
  async downloadContent (cid: ContentRef, providers: readonly string[], options: DownloadOptions = {}): Promise<Uint8Array> {
    const root = await this.download(cid, providers, options)
    return await this.readAll(root, options)
  }

  /** Streams a stored, complete content in order. Rejects with NotFoundError if it is missing or incomplete. */
  async * readContent (cid: ContentRef, options: AbortOptions = {}): AsyncGenerator<Uint8Array> {
    const swarm = await this.requireComplete(toContentId(cid))
    yield * readContentFrom(this.storage, swarm.manifest, options)
  }

  /** Progress of a running download, or undefined if none is running for that content. */
  downloadProgress (cid: ContentRef): DownloadProgress | undefined {
    return this.units.coordinator.running(toContentId(cid))?.progress()
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
    const { uploads, swarms, coordinator, services, peers } = this.units
    uploads.stop()
    swarms.close()
    coordinator.abortAll(error)
    services.uploadLimiter.close()
    services.downloadLimiter.close()
    await peers.stop()
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

  private assertRunning (): void {
    if (this.stopped) throw new NodeStoppedError('The node is stopped; create a new one')
  }
}

/**
 * Calls each transport factory with the node's components. A transport that proves a peer id
 * (QUIC, quinn) must prove this node's: a mismatch is a configuration error now, not a refused
 * handshake later.
 */
function makeTransports (factories: readonly TransportFactory[] | undefined, components: Components): Transport[] {
  if (!Array.isArray(factories) || factories.length === 0) {
    throw new InvalidConfigError('At least one transport is needed, e.g. transports: [tcpTransport()] from @codio-chunk/transport-tcp')
  }
  return factories.map((factory) => {
    const transport = makePlugin<Transport>(factory, components, 'transport', 'tcpTransport() from @codio-chunk/transport-tcp')
    const proven = (transport as { peerId?: unknown }).peerId
    if (proven !== undefined && proven !== components.identity.peerId) {
      throw new InvalidConfigError(`The ${transport.name} transport proves peer id ${String(proven)}, but this node is ${components.identity.peerId}: let the node give the transport its identity (pass the factory, e.g. quicTransport(), not a transport made elsewhere)`)
    }
    return transport
  })
}

/** Calls a plugin factory with the node's components, with a clear error for anything else. */
function makePlugin<T> (factory: (components: Components) => T, components: Components, kind: string, example: string): T {
  if (typeof factory !== 'function') {
    throw new InvalidConfigError(`The ${kind} must be given as a factory the node calls with its components, e.g. ${example}; got ${factory === null ? 'null' : typeof factory}`)
  }
  const plugin = factory(components)
  if (plugin === null || typeof plugin !== 'object') throw new InvalidConfigError(`The ${kind} factory returned ${plugin === null ? 'null' : typeof plugin}, not a ${kind}`)
  return plugin
}
