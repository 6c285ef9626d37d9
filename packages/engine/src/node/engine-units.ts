import { createRandom } from '@codio-chunk/pieces'
import { DownloadCoordinator } from '../download/download-coordinator.js'
import { VerifyQueue } from '../download/verify-queue.js'
import { MessageRouter } from '../peers/message-router.js'
import { PeerManager } from '../peers/peer-manager.js'
import { SwarmRegistry } from '../swarm/swarm-registry.js'
import { TokenBucket } from '../upload/token-bucket.js'
import { UploadManager } from '../upload/upload-manager.js'
import { Uploader } from '../upload/upload.js'
import { Semaphore } from '../util/semaphore.js'
import { ContentPublisher } from './content-publisher.js'
import { DiscoveryService } from '../discovery/discovery-service.js'
import { Announcer } from '../discovery/announcer.js'
import { OriginPool } from '../origin/origin-pool.js'
import type { OriginOptions } from '../origin/origin-pool.js'
import type { ChunkConfig } from '../config.js'
import type { TypedEmitter } from '../events.js'
import type { Clock } from '../peers/rate-meter.js'
import type { DistributorEvents } from './distributor-events.js'
import type { EngineServices } from './services.js'
import type { ContentId, Components, Discovery, Storage, Strategy, Transport, Verifier } from '@codio-chunk/interface'

/** What the engine is built from: settings, the node's components and its plugins, made. */
export interface EngineUnitsInit {
  config: ChunkConfig
  components: Components
  transports: Transport[]
  /** The node's discoveries, made (possibly none). */
  discoveries: Discovery[]
  storage: Storage
  verifiers: Verifier[]
  strategy: Strategy
  events: TypedEmitter<DistributorEvents>
  clock: Clock
  /** Software name sent in the hello. */
  agent: string
  /** Fires when the node stops. */
  stopSignal: AbortSignal
  /** Origin URLs (trustless gateways) to fall back to; none by default. */
  origins?: readonly string[]
  originOptions?: OriginOptions
}

/** The units of a running node. */
export interface EngineUnits {
  services: EngineServices
  peers: PeerManager
  swarms: SwarmRegistry
  uploader: Uploader
  uploads: UploadManager
  publisher: ContentPublisher
  coordinator: DownloadCoordinator
  discovery: DiscoveryService
  announcer: Announcer
}

/**
 * Builds the engine's units. Each unit depends on the units below it and reports upwards through
 * a small events interface of its own (`PeerManagerEvents`, `SwarmRegistryEvents`,
 * `UploaderEvents`, `UploadManagerEvents`, `DownloadCoordinatorEvents`); this is the one place
 * that says where each report goes.
 *
 * @example
 * ```ts
 * const units = createEngineUnits({ config, components, transports, storage, verifiers, strategy, events, clock, agent, stopSignal })
 * await units.peers.listen('tcp://127.0.0.1:0')
 * ```
 */
export function createEngineUnits (init: EngineUnitsInit): EngineUnits {
  const { config, components, clock, events } = init
  const log = components.logger('codio-chunk:distributor')
  const random = createRandom(Math.floor(Math.random() * 0x100000000))
  const verify = new VerifyQueue(init.verifiers)
  const services: EngineServices = {
    config,
    strategy: init.strategy,
    storage: init.storage,
    buffers: components.buffers,
    verify,
    clock,
    events,
    log,
    uploadLimiter: new TokenBucket({ rate: config.uploadLimit, clock }),
    downloadLimiter: new TokenBucket({ rate: config.downloadLimit, clock }),
    origins: new OriginPool({ urls: init.origins ?? [], options: init.originOptions, verify, events, clock, log: components.logger('codio-chunk:origin') })
  }

  const uploads = new UploadManager({
    config,
    clock,
    random,
    log: components.logger('codio-chunk:choker'),
    events: { choked: (session) => { uploader.rejectChoked(session) } }
  })
  const peers: PeerManager = new PeerManager({
    transports: init.transports,
    localPeerId: components.identity.peerId,
    hello: { maxFrameSize: components.maxFrameSize, maxRequests: config.maxRequestsServed, agent: init.agent },
    dialTimeout: config.dialTimeout,
    maxConnections: config.maxConnections,
    maxConnectionsPerHost: config.maxConnectionsPerHost,
    idleTimeout: config.idleTimeout,
    clock,
    log: components.logger('codio-chunk:peers'),
    events: {
      peerConnected: (session) => { router.peerConnected(session) },
      peerMessage: (session, message) => { router.peerMessage(session, message) },
      peerDisconnected: (session, error) => { router.peerDisconnected(session, error) },
      peerBanned: (session, reason) => { router.peerBanned(session, reason) }
    }
  })
  const swarms = new SwarmRegistry({
    storage: init.storage,
    peers,
    log,
    maxPeersPerContent: config.maxPeersPerContent,
    superSeed: config.superSeed ? { clock, random, log: components.logger('codio-chunk:super-seed') } : undefined,
    events: {
      addressLearned: (swarm, address) => { coordinator.dialForSwarm(swarm, address) },
      superSeedingChanged: (active) => { uploads.setOpenToAll(active) }
    }
  })
  const uploader: Uploader = new Uploader({
    services,
    swarms,
    events: {
      chunkRequested: (session, swarm) => { uploads.addInterest(session, swarm.key) },
      chunkServed: (session) => { uploads.chunkServed(session) }
    }
  })
  const router: MessageRouter = new MessageRouter({ swarms, uploader, uploads, events })
  const discovery = new DiscoveryService({
    discoveries: init.discoveries,
    localPeerId: components.identity.peerId,
    localAddresses: () => peers.addresses,
    log: components.logger('codio-chunk:discovery')
  })
  const announcer = new Announcer({
    discovery,
    heldContents: async () => await completeContents(init.storage),
    log: components.logger('codio-chunk:discovery'),
    stopSignal: init.stopSignal
  })
  const coordinator: DownloadCoordinator = new DownloadCoordinator({
    services,
    peers,
    swarms,
    slots: new Semaphore(config.maxConcurrentDownloads),
    discovery,
    stopSignal: init.stopSignal,
    log,
    events: {
      downloadsRunning: (count) => { uploads.setSeeding(count === 0) },
      contentCompleted: (root) => { announcer.add(root) }
    }
  })
  const publisher = new ContentPublisher({ config, storage: init.storage, verifier: init.verifiers[0], swarms })
  uploads.start()
  return { services, peers, swarms, uploader, uploads, publisher, coordinator, discovery, announcer }
}

/** The contents the storage holds every chunk of. */
async function completeContents (storage: Storage): Promise<ContentId[]> {
  const complete: ContentId[] = []
  for (const root of await storage.list()) {
    const have = await storage.completed(root).catch(() => undefined)
    if (have?.complete === true) complete.push(root)
  }
  return complete
}
