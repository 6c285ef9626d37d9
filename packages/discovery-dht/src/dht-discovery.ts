import { setMaxListeners } from 'node:events'
import { abortError, InvalidConfigError, ListenError, throwIfAborted } from '@codio-chunk/interface'
import { raceAbort } from '@codio-chunk/protocol'
import { ConcurrencyLimit } from './concurrency-limit.js'
import { contentKey, sha1 } from './content-key.js'
import { DhtNode, hex } from './dht-node.js'
import { DropLog } from './drop-log.js'
import { DhtError } from './errors.js'
import { findProvidersOf } from './find-providers.js'
import { checkInit } from './options.js'
import { equalBytes } from './record-check.js'
import { RecordPublisher } from './record-publisher.js'
import { ResolutionCache } from './resolution-cache.js'
import { loadState, saveState } from './state-file.js'
import type { AbortOptions, ContentId, Discovery, DiscoveryComponents, Logger, ProviderRecord } from '@codio-chunk/interface'
import type { DhtDiscoveryInit, DhtSettings } from './options.js'
import type { LookupCounters } from './find-providers.js'
import type { RoutingState } from './state-file.js'

/** Announcements (lookup + store) running at once; more wait their turn. */
export const MAX_CONCURRENT_PROVIDES = 4
/** How often the node's addresses are compared with its published record, in ms. */
const ADDRESS_CHECK_INTERVAL = 30_000

/** Counters of a DHT discovery since it started, for statistics and tests. */
export interface DhtStats extends LookupCounters {
  /** Nodes in the routing table now. */
  nodeCount: number
  /** Incoming packets dropped: over the rate limits, malformed or of the wrong types. */
  packetsDropped: number
  /** Contents announced (successful `provide` calls). */
  provided: number
}

/** A {@link Discovery} on the Mainline DHT, with what a command line wants to show about it. */
export interface DhtDiscovery extends Discovery {
  readonly name: 'dht'
  readonly reprovideInterval: number
  /** The DHT's UDP socket as `host:port` once started (e.g. `0.0.0.0:6881`), else undefined. */
  readonly dhtAddress: string | undefined
  /** Nodes in the routing table (0 before start). */
  readonly nodeCount: number
  /** Counters since start. */
  stats(): DhtStats
}

/** What `dhtDiscovery(init)` returns: the node calls it with its components. */
export type DhtDiscoveryFactory = (components: DiscoveryComponents) => DhtDiscovery

/**
 * A discovery on the BitTorrent Mainline DHT (BEP 5, BEP 44). A content is announced under
 * SHA-1 of its CID's multihash; the announcement carries the node's DHT port, and the node's
 * addresses are in a BEP 44 record signed with its own key, which it serves itself and stores
 * on the DHT. `findProviders` checks each record before yielding it. See the package README.
 *
 * @example
 * ```ts
 * import { createComponents, PeerIdentity } from '@codio-chunk/protocol'
 * import { ContentId } from '@codio-chunk/interface'
 * import { dhtDiscovery } from '@codio-chunk/discovery-dht'
 *
 * const components = createComponents({ identity: PeerIdentity.generate(), addresses: () => ['tcp://127.0.0.1:4001'] })
 * const dht = dhtDiscovery({ bootstrap: ['127.0.0.1:6881'], host: '127.0.0.1' })(components)
 * await dht.start({ signal: AbortSignal.timeout(10_000) })
 * const cid = ContentId.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
 * await dht.provide(cid)
 * for await (const provider of dht.findProviders(cid, { signal: AbortSignal.timeout(10_000) })) {
 *   console.log(provider.peerId, provider.addresses)
 * }
 * await dht.stop()
 * ```
 */
export function dhtDiscovery (init: DhtDiscoveryInit = {}): DhtDiscoveryFactory {
  const settings = checkInit(init)
  return (components) => new MainlineDiscovery(settings, components)
}

class MainlineDiscovery implements DhtDiscovery {
  readonly name = 'dht' as const
  readonly reprovideInterval: number
  readonly #settings: DhtSettings
  readonly #components: DiscoveryComponents
  readonly #addresses: () => readonly string[]
  readonly #log: Logger
  readonly #target: Uint8Array
  readonly #lifetime = new AbortController()
  readonly #provides = new ConcurrencyLimit(MAX_CONCURRENT_PROVIDES)
  readonly #drops: DropLog
  readonly #warnings: DropLog
  readonly #resolved = new ResolutionCache()
  readonly #counters: LookupCounters = { lookups: 0, endpointsAccepted: 0, endpointsRefused: 0, recordsRejected: 0, providersFound: 0, peakResolutions: 0 }
  #provided = 0
  #node: DhtNode | undefined
  #publisher: RecordPublisher | undefined
  #starting: Promise<void> | undefined
  #stopping: Promise<void> | undefined
  #timers: NodeJS.Timeout[] = []

  constructor (settings: DhtSettings, components: DiscoveryComponents) {
    const identity = components?.identity
    if (typeof identity?.peerId !== 'string' || !(identity.publicKey instanceof Uint8Array) || identity.publicKey.length !== 32 || typeof identity.sign !== 'function') {
      throw new InvalidConfigError('dhtDiscovery needs the node\'s components with its Ed25519 identity, e.g. createComponents({ identity }) from @codio-chunk/protocol')
    }
    if (typeof components.addresses !== 'function') {
      throw new InvalidConfigError('dhtDiscovery needs components.addresses (the node\'s listen addresses) to announce them; pass createComponents({ addresses: () => node.addresses })')
    }
    // Every running lookup listens for the end of the discovery's life.
    setMaxListeners(Infinity, this.#lifetime.signal)
    this.#settings = settings
    this.#components = components
    this.#addresses = components.addresses
    this.#log = components.logger('codio-chunk:discovery-dht')
    this.#drops = new DropLog(this.#log)
    this.#warnings = new DropLog(this.#log, Date.now, '%d DHT warnings (%s)')
    this.reprovideInterval = settings.reprovideInterval
    // The node's DHT id is SHA-1 of its public key: the BEP 44 target of its own record.
    this.#target = sha1(identity.publicKey)
  }

  get dhtAddress (): string | undefined {
    const address = this.#node?.address
    return address === undefined ? undefined : `${address.host}:${address.port}`
  }

  get nodeCount (): number {
    return this.#node?.nodeCount ?? 0
  }

  stats (): DhtStats {
    return { ...this.#counters, nodeCount: this.nodeCount, packetsDropped: this.#drops.total, provided: this.#provided }
  }

  async start (options: AbortOptions = {}): Promise<void> {
    if (this.#stopping !== undefined) throw new DhtError('This DHT discovery was stopped; make a new one with dhtDiscovery(init)(components)')
    this.#starting ??= this.#start(options.signal)
    try {
      await this.#starting
    } catch (err) {
      this.#starting = undefined
      throw err
    }
  }

  async #start (signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal, 'DHT start')
    const settings = this.#settings
    const state = await this.#loadState()
    throwIfAborted(signal, 'DHT start')
    if (this.#lifetime.signal.aborted) throw new DhtError('The DHT discovery was stopped while it started')
    const node = new DhtNode({
      nodeId: this.#target,
      bootstrap: settings.bootstrap,
      queryTimeout: settings.queryTimeout,
      maxQueriesPerSource: settings.maxQueriesPerSource,
      maxQueriesPerSecond: settings.maxQueriesPerSecond,
      onDrop: (reason) => { this.#drops.drop(reason) },
      onQuery: (query, args) => {
        const target = args.get('target')
        if (query === 'get' && target instanceof Uint8Array && equalBytes(target, this.#target)) this.#publisher?.ensureLocal()
      },
      // Numbers (transaction ids, ports) would make every warning a reason of its own.
      onWarning: (error) => { this.#warnings.drop(String(error?.message ?? error).replace(/\d+/g, 'N').slice(0, 100)) }
    })
    // Seed and bind in this same turn: the library bootstraps on the next tick.
    if (state !== undefined) node.seed(state.nodes)
    try {
      await node.listen(settings.port, settings.host)
    } catch (err) {
      await node.destroy()
      throw new ListenError(`Cannot bind the DHT's UDP socket to ${settings.host}:${settings.port}: ${(err as Error).message}. Choose another port (0 picks a free one) or host`, { cause: err })
    }
    this.#node = node
    const key = hex(this.#components.identity.publicKey)
    this.#publisher = new RecordPublisher({
      node,
      identity: this.#components.identity,
      target: this.#target,
      addresses: this.#addresses,
      log: this.#log,
      lastSeq: state?.key === key ? state.seq : undefined
    })
    this.#publisher.prepare()
    this.#log('DHT node %s listening on %s, %d nodes from the state file', hex(this.#target), this.dhtAddress, node.nodeCount)
    try {
      await this.#waitForBootstrap(node, signal)
    } catch (err) {
      this.#node = undefined
      this.#publisher = undefined
      await node.destroy()
      throw err
    }
    if (node.nodeCount === 0 && settings.bootstrap.length > 0) {
      this.#log('no bootstrap node answered (%s); lookups find nothing until one does', settings.bootstrap.map(e => `${e.host}:${e.port}`).join(', '))
    } else {
      this.#log('DHT bootstrapped: %d nodes in the routing table', node.nodeCount)
    }
    this.#schedule()
  }

  async #waitForBootstrap (node: DhtNode, signal: AbortSignal | undefined): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    let onAbort: (() => void) | undefined
    try {
      await Promise.race([
        node.ready,
        new Promise<void>(resolve => { timer = setTimeout(resolve, this.#settings.bootstrapTimeout) }),
        new Promise<void>((_resolve, reject) => {
          onAbort = () => {
            reject(signal?.aborted === true ? abortError(signal, 'DHT start') : new DhtError('The DHT discovery was stopped while it started'))
          }
          if (signal?.aborted === true || this.#lifetime.signal.aborted) onAbort()
          signal?.addEventListener('abort', onAbort, { once: true })
          this.#lifetime.signal.addEventListener('abort', onAbort, { once: true })
        })
      ])
    } finally {
      clearTimeout(timer)
      if (onAbort !== undefined) {
        signal?.removeEventListener('abort', onAbort)
        this.#lifetime.signal.removeEventListener('abort', onAbort)
      }
    }
  }

  #schedule (): void {
    const save = setInterval(() => { void this.#saveState() }, this.#settings.stateSaveInterval)
    const watch = setInterval(() => {
      const publisher = this.#publisher
      if (publisher?.active === true && publisher.changed()) {
        this.#log('the node\'s addresses changed; publishing its record again')
        void publisher.publish()
      }
    }, ADDRESS_CHECK_INTERVAL)
    save.unref()
    watch.unref()
    this.#timers.push(save, watch)
  }

  async stop (): Promise<void> {
    this.#stopping ??= this.#stop()
    await this.#stopping
  }

  async #stop (): Promise<void> {
    this.#lifetime.abort()
    await this.#starting?.catch(() => {})
    for (const timer of this.#timers) clearInterval(timer)
    this.#timers = []
    const node = this.#node
    if (node === undefined) return
    await this.#saveState()
    this.#drops.flush()
    this.#warnings.flush()
    await node.destroy()
    this.#log('DHT node stopped')
  }

  async provide (cid: ContentId, options: AbortOptions = {}): Promise<void> {
    const node = this.#started()
    const publisher = this.#publisher as RecordPublisher
    const infoHash = contentKey(cid)
    await this.#provides.run(async () => {
      const [announced] = await raceAbort(Promise.all([node.announce(infoHash), publisher.publish()]), options.signal, 'announcement')
      if (announced === 0) {
        throw new DhtError(`No DHT node accepted the announcement of ${cid.toString()} (${node.nodeCount} nodes in the routing table); check the bootstrap nodes and that UDP port ${node.address?.port ?? '?'} is reachable`)
      }
      this.#provided++
      this.#log('announced %s (key %s) to %d nodes', cid.toString(), hex(infoHash), announced)
    }, options.signal)
  }

  findProviders (cid: ContentId, options: AbortOptions = {}): AsyncIterable<ProviderRecord> {
    const node = this.#started()
    return findProvidersOf(contentKey(cid), {
      node,
      ownId: this.#target,
      ownPeerId: this.#components.identity.peerId,
      schemes: this.#settings.schemes,
      cache: this.#resolved,
      maxEndpoints: this.#settings.maxProvidersPerLookup,
      resolveConcurrency: this.#settings.resolveConcurrency,
      resolveTimeout: this.#settings.resolveTimeout,
      lookupTimeout: this.#settings.lookupTimeout,
      lifetime: this.#lifetime.signal,
      counters: this.#counters,
      log: this.#log
    }, options.signal)
  }

  #started (): DhtNode {
    if (this.#stopping !== undefined) throw new DhtError('This DHT discovery was stopped')
    if (this.#node === undefined) throw new DhtError('The DHT discovery is not started; call start() first')
    return this.#node
  }

  async #loadState (): Promise<RoutingState | undefined> {
    const file = this.#settings.stateFile
    if (file === undefined) return undefined
    try {
      const state = await loadState(file)
      if (state !== undefined) this.#log('read %d DHT nodes from %s', state.nodes.length, file)
      return state
    } catch (err) {
      this.#log('ignoring the DHT state file: %s', (err as Error).message)
      return undefined
    }
  }

  async #saveState (): Promise<void> {
    const file = this.#settings.stateFile
    const node = this.#node
    if (file === undefined || node === undefined) return
    try {
      await saveState(file, { key: hex(this.#components.identity.publicKey), seq: this.#publisher?.seq, nodes: node.contacts() })
    } catch (err) {
      this.#log('could not write the DHT state file %s: %s', file, (err as Error).message)
    }
  }
}
