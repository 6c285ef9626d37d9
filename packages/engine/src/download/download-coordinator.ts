import { Bitfield } from '@codio-chunk/interface'
import { resolveManifest } from '@codio-chunk/content'
import { leafData } from '@codio-chunk/content'
import { NodeStoppedError, abortError, throwIfAborted } from '@codio-chunk/interface'
import { Download } from './download.js'
import { connectProviders, fetchBlockFromPeers } from './providers.js'
import { ProviderSearch } from '../discovery/provider-search.js'
import { SharedTasks } from '../util/shared-tasks.js'
import type { DiscoveryService } from '../discovery/discovery-service.js'
import type { ProviderConnections } from './providers.js'
import type { ContentId } from '@codio-chunk/interface'
import type { Logger } from '@codio-chunk/interface'
import type { Semaphore } from '../util/semaphore.js'
import type { EngineServices } from '../node/services.js'
import type { BlockFetchContext } from './providers.js'
import type { PeerManager } from '../peers/peer-manager.js'
import type { PeerSession } from '../peers/peer-session.js'
import type { ContentSwarm } from '../swarm/swarm.js'
import type { SwarmRegistry } from '../swarm/swarm-registry.js'

/** Most dials to addresses learned by peer exchange in progress at once. */
const MAX_EXCHANGE_DIALS = 8
/** A download keeps asking the discoveries for providers while its swarm has fewer peers than this. */
export const WANTED_SWARM_PEERS = 8

/** What a {@link DownloadCoordinator} reports to the node. */
export interface DownloadCoordinatorEvents {
  /** The number of downloads running changed (none running: the node only seeds). */
  downloadsRunning(count: number): void
  /** A download finished: the node now holds the whole content (it is to be announced). */
  contentCompleted(root: ContentId): void
}

/** What a {@link DownloadCoordinator} is made of. */
export interface DownloadCoordinatorInit {
  services: EngineServices
  peers: PeerManager
  swarms: SwarmRegistry
  /** Limits how many contents download at once. */
  slots: Semaphore
  /** The node's discoveries (possibly none): downloads look for providers through them. */
  discovery: DiscoveryService
  /** Fires when the node stops. */
  stopSignal: AbortSignal
  log: Logger
  events: DownloadCoordinatorEvents
}

/**
 * Runs downloads for the distributor: one shared download per content whatever the number of
 * callers, the steps before the swarm takes over (providers, manifest), and the dials that keep a
 * swarm supplied with peers (peer exchange, redials).
 */
export class DownloadCoordinator {
  /** One shared download per content, by CID string. */
  private readonly downloads = new SharedTasks<void>()
  /** One shared manifest fetch per content, by CID string. */
  private readonly manifests = new SharedTasks<ContentSwarm>()
  private readonly ctx: EngineServices
  private readonly peers: PeerManager
  private readonly swarms: SwarmRegistry
  private readonly slots: Semaphore
  private readonly discovery: DiscoveryService
  private readonly stopSignal: AbortSignal
  private readonly log: Logger
  private readonly events: DownloadCoordinatorEvents
  private readonly blocks: BlockFetchContext
  /** The download of each content being fetched, by CID string. */
  private readonly active = new Map<string, Download>()
  /** The provider search of each content being fetched, by CID string. */
  private readonly searches = new Map<string, ProviderSearch>()
  private exchangeDials = 0
  /** Downloads started and not ended. */
  private runningCount = 0

  constructor (init: DownloadCoordinatorInit) {
    this.ctx = init.services
    this.peers = init.peers
    this.swarms = init.swarms
    this.slots = init.slots
    this.discovery = init.discovery
    this.stopSignal = init.stopSignal
    this.log = init.log
    this.events = init.events
    this.blocks = {
      requestTimeout: this.ctx.config.requestTimeout,
      maxBadChunks: this.ctx.config.maxBadChunks,
      verify: this.ctx.verify,
      ban: (session, reason) => { this.peers.ban(session, reason) }
    }
  }

  private isStopped (): boolean {
    return this.stopSignal.aborted
  }

  /**
   * Downloads a content (or joins the download already running for it). The shared download stops
   * only when every caller has given up; a caller's own signal rejects just that caller.
   */
  async download (root: ContentId, providers: readonly string[], options: { signal?: AbortSignal, seed?: number }): Promise<void> {
    const key = root.toString()
    if (this.downloads.has(key)) {
      // A later caller's providers join the running download.
      const swarm = this.swarms.swarms.get(key)
      for (const address of providers) {
        if (swarm !== undefined && this.swarms.remember(swarm, [address])) this.dialForSwarm(swarm, address)
      }
    }
    await this.downloads.join(key, async (signal) => { await this.run(root, providers, signal, options.seed) }, { signal: options.signal })
  }

  /**
   * The swarm of a content, with its manifest: known already (memory or storage), or fetched from
   * the providers (and any the discoveries find), verified block by block and stored. No chunk is
   * downloaded (leaves fetched on the way to the manifest are kept). Callers asking for the same
   * content share one fetch, stopped when they all give up. Rejects as `download` does.
   */
  async resolve (root: ContentId, providers: readonly string[], options: { signal?: AbortSignal } = {}): Promise<ContentSwarm> {
    const known = await this.swarms.get(root)
    if (known !== undefined) return known
    return await this.manifests.join(root.toString(), async (signal) => await this.fetchSwarm(root, providers, signal), { signal: options.signal, what: 'manifest fetch' })
  }

  /** The download fetching a content, if one runs. */
  running (root: ContentId): Download | undefined {
    return this.active.get(root.toString())
  }

  /** The provider search of a running download, if the node has discoveries. */
  search (root: ContentId): ProviderSearch | undefined {
    return this.searches.get(root.toString())
  }

  /** Aborts every running download with `error` (the node is stopping). */
  abortAll (error: Error): void {
    for (const download of this.active.values()) download.abort(error)
  }

  /** Resolves when every running download has settled (used when the node stops). */
  async settled (): Promise<void> {
    await Promise.all([this.downloads.settled(), this.manifests.settled()])
  }

  /** The steps of `run` before the swarm takes over, alone: providers, then the manifest. */
  private async fetchSwarm (root: ContentId, providers: readonly string[], callerSignal: AbortSignal): Promise<ContentSwarm> {
    const signal = AbortSignal.any([callerSignal, this.stopSignal])
    const searchEnded = new AbortController()
    const search = this.searchFor(root, () => undefined, AbortSignal.any([signal, searchEnded.signal]))
    try {
      search?.start()
      const connections = await connectProviders(this.peers, providers, signal, search)
      throwIfAborted(signal, 'manifest fetch')
      const swarm = await this.swarms.get(root) ?? await this.fetchManifest(root, connections, signal)
      for (const address of providers) this.swarms.remember(swarm, [address])
      return swarm
    } catch (err) {
      if (this.isStopped() && !(err instanceof NodeStoppedError)) throw new NodeStoppedError('The node was stopped', { cause: err })
      throw err
    } finally {
      searchEnded.abort()
    }
  }

  private async run (root: ContentId, providers: readonly string[], callerSignal: AbortSignal, seed?: number): Promise<void> {
    const signal = AbortSignal.any([callerSignal, this.stopSignal])
    const check = (): void => {
      if (this.isStopped()) throw new NodeStoppedError('The node was stopped')
      throwIfAborted(signal, 'download')
    }
    const release = await this.slots.acquire(signal)
    try {
      check()
      let swarm = await this.swarms.get(root)
      check()
      if (swarm !== undefined && swarm.have.complete) return
      const searchEnded = new AbortController()
      const search = this.searchFor(root, () => swarm, AbortSignal.any([signal, searchEnded.signal]))
      if (search !== undefined) this.searches.set(root.toString(), search)
      try {
        search?.start()
        const connections = await connectProviders(this.peers, providers, signal, search)
        check()
        if (swarm === undefined) swarm = await this.fetchManifest(root, connections, signal)
        check()
        await this.runSwarm(swarm, providers, signal, search, seed)
      } finally {
        searchEnded.abort()
        if (this.searches.get(root.toString()) === search) this.searches.delete(root.toString())
      }
    } catch (err) {
      if (this.isStopped() && !(err instanceof NodeStoppedError)) throw new NodeStoppedError('The node was stopped', { cause: err })
      throw err
    } finally {
      release()
    }
  }

  /** Runs the swarm download of a content whose manifest is known, until every chunk is stored. */
  private async runSwarm (swarm: ContentSwarm, providers: readonly string[], signal: AbortSignal, search: ProviderSearch | undefined, seed?: number): Promise<void> {
    for (const address of providers) {
      swarm.providers.add(address)
      this.swarms.remember(swarm, [address])
    }
    if (swarm.have.complete) {
      this.events.contentCompleted(swarm.manifest.root)
      return
    }
    const download = new Download(this.ctx, swarm, {
      chunkStored: (index) => {
        this.swarms.announceHave(swarm, index)
        swarm.readers?.stored(index)
      },
      peerMisbehaved: (session, reason) => { this.peers.ban(session, reason) },
      needPeers: async () => {
        search?.again()
        await this.redial(swarm)
      },
      running: (active) => { this.countRunning(active) }
    }, { seed })
    swarm.download = download
    this.active.set(swarm.key, download)
    const onAbort = (): void => {
      download.abort(this.isStopped() ? new NodeStoppedError('The node was stopped') : abortError(signal, 'download'))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      download.start()
      for (const session of this.peers.sessions()) this.swarms.offerBitfield(swarm, session)
      await download.promise
      this.events.contentCompleted(swarm.manifest.root)
    } finally {
      signal.removeEventListener('abort', onAbort)
      if (swarm.download === download) swarm.download = undefined
      if (this.active.get(swarm.key) === download) this.active.delete(swarm.key)
    }
  }

  /**
   * A search for providers of `root` through the node's discoveries, or undefined without any.
   * Providers it connects join the swarm once the manifest is known (`swarmOf`).
   */
  private searchFor (root: ContentId, swarmOf: () => ContentSwarm | undefined, signal: AbortSignal): ProviderSearch | undefined {
    if (!this.discovery.enabled) return undefined
    const own = new Set(this.peers.addresses)
    return new ProviderSearch({
      discovery: this.discovery,
      root,
      dial: async (address, dialSignal) => await this.peers.dial(address, { signal: dialSignal }),
      canDial: (address) => {
        if (own.has(address)) return false
        try {
          this.peers.transportFor(address)
          return true
        } catch {
          return false
        }
      },
      known: (record) => record.peerId !== undefined && (this.peers.session(record.peerId) !== undefined || this.peers.isBanned(record.peerId)),
      wantMore: () => {
        const swarm = swarmOf()
        return swarm === undefined || swarm.peers.size < WANTED_SWARM_PEERS
      },
      connected: (session, address) => {
        const swarm = swarmOf()
        if (swarm === undefined) return // offered its bitfield when the download starts
        this.swarms.remember(swarm, [address])
        this.swarms.offerBitfield(swarm, session)
      },
      signal,
      log: this.log
    })
  }

  /** Fetches and verifies the manifest from the connected providers, stores it, and keeps any leaves fetched on the way. */
  private async fetchManifest (root: ContentId, connections: ProviderConnections, signal?: AbortSignal): Promise<ContentSwarm> {
    const verifier = this.ctx.verify.verifierFor(root.cid.multihash.code)
    const { manifest, leaves } = await resolveManifest(
      root.cid,
      async (cid, opts) => await fetchBlockFromPeers(this.blocks, () => this.candidatesFor(connections.sessions), root, cid, opts.signal ?? signal, connections.next, opts.check),
      // fetchBlockFromPeers checks each block against its CID (to try another peer on a mismatch)
      // and runs opts.check, so a block that breaks the UnixFS rules counts against its sender.
      { verifier, signal, maxChunkSize: this.ctx.config.maxChunkSize, fetchVerifies: true }
    )
    this.ctx.verify.assertSupported(manifest.chunkCid(0))
    await this.ctx.storage.putManifest(manifest, { signal })
    const have = (await this.ctx.storage.completed(manifest.root, { signal })) ?? new Bitfield(manifest.chunkCount)
    for (const [index, block] of leaves) {
      if (have.get(index)) continue
      await this.ctx.storage.putChunk(manifest.root, index, leafData(manifest, index, block), { signal })
      have.set(index)
    }
    return this.swarms.add(manifest, have)
  }

  /** Sessions to ask for manifest blocks: the providers first, then anyone else connected. */
  private candidatesFor (sessions: PeerSession[]): PeerSession[] {
    const out = sessions.filter(s => !s.closed)
    for (const s of this.peers.sessions()) if (!out.includes(s)) out.push(s)
    return out
  }

  /** Dials an address learned by peer exchange (a few at a time; the rest wait for a redial). */
  dialForSwarm (swarm: ContentSwarm, address: string): void {
    if (this.isStopped() || this.exchangeDials >= MAX_EXCHANGE_DIALS) return
    this.exchangeDials++
    this.peers.dial(address).then(session => {
      this.swarms.offerBitfield(swarm, session)
    }, (err: Error) => { this.log('peer exchange dial to %s failed: %s', address, err.message) })
      .finally(() => { this.exchangeDials-- })
  }

  private countRunning (active: boolean): void {
    this.runningCount += active ? 1 : -1
    this.events.downloadsRunning(this.runningCount)
  }

  /** Dials the swarm's known addresses that are not connected, a few at a time; learned addresses that fail are forgotten. */
  private async redial (swarm: ContentSwarm): Promise<void> {
    const connected = new Set<string>()
    for (const session of this.peers.sessions()) {
      connected.add(session.connection.remoteAddress)
      for (const a of session.listenAddresses()) connected.add(a)
    }
    for (const own of this.peers.addresses) connected.add(own)
    const targets = [...swarm.knownAddresses].filter(a => !connected.has(a))
    const worker = async (): Promise<void> => {
      for (let address = targets.shift(); address !== undefined && !this.isStopped(); address = targets.shift()) {
        try {
          const session = await this.peers.dial(address)
          this.swarms.offerBitfield(swarm, session)
        } catch (err) {
          if (!swarm.providers.has(address)) swarm.knownAddresses.delete(address)
          this.log('redial of %s failed: %s', address, (err as Error).message)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(MAX_EXCHANGE_DIALS, targets.length) }, worker))
  }
}
