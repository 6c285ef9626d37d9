import { randomInt } from 'node:crypto'
import { InvalidConfigError, abortError, throwIfAborted } from '@codio-chunk/interface'
import { DiscoveryStoppedError, TrackerAnnounceError } from './errors.js'
import { HttpTrackerClient } from './http-tracker.js'
import { hex, infoHashOf, tcpEndpoints, trackerPeerIdOf } from './mapping.js'
import { Memberships } from './memberships.js'
import { DEFAULT_REPROVIDE_INTERVAL, MAX_PEERS_PER_LOOKUP, MAX_REPROVIDE_INTERVAL, MIN_REPROVIDE_INTERVAL, checkInit } from './options.js'
import { ownEndpoints } from './own-endpoints.js'
import { endpointKey, isUnspecifiedIp } from './peers.js'
import { RecordQueue } from './record-queue.js'
import { UdpTrackerClient } from './udp-tracker.js'
import type { AnnounceReply, AnnounceRequest, TrackerClient } from './announce.js'
import type { TrackerDiscoveryInit, TrackerSettings } from './options.js'
import type { ContentId, AbortOptions, Discovery, DiscoveryComponents, DiscoveryFactory, Logger, ProviderRecord } from '@codio-chunk/interface'

/**
 * The port a node with no TCP listen address announces in a lookup, then leaves at once: a tracker
 * needs a port, and this one is never a codio-chunk node's. Lookups skip peers listed with it.
 */
export const LOOKUP_ONLY_PORT = 1
/** How many `stopped` announces `stop()` has in flight at once. */
const STOP_CONCURRENCY = 16
/** How many addresses a tracker may claim it sees this node at (BEP 24) that are remembered. */
const MAX_EXTERNAL_IPS = 8

/**
 * Discovery through BitTorrent trackers (HTTP, BEP 3; UDP, BEP 15). A content is announced under
 * the info hash SHA-1(multihash of its CID), as a seeder (`left=0`) at the port of the node's first
 * `tcp://` listen address; a lookup is an announce with `left=1` whose answer lists the providers,
 * each yielded as `{ addresses: ['tcp://ip:port'] }` as its tracker answers (never this node, no
 * duplicates, at most {@link MAX_PEERS_PER_LOOKUP}). `stop()` tells every tracker this node leaves.
 * See the package README for what a tracker can and cannot do.
 *
 * @example
 * ```ts
 * // With a tracker listening on udp://127.0.0.1:6969 (e.g. `npx bittorrent-tracker --udp --port 6969`):
 * import { ContentId } from '@codio-chunk/interface'
 * import { createComponents } from '@codio-chunk/protocol'
 * import { trackerDiscovery } from '@codio-chunk/discovery-tracker'
 *
 * const cid = ContentId.parse('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e')
 * const seeder = trackerDiscovery({ announce: ['udp://127.0.0.1:6969'] })(
 *   createComponents({ addresses: () => ['tcp://127.0.0.1:4001'] }))
 * const finder = trackerDiscovery({ announce: ['udp://127.0.0.1:6969'] })(createComponents())
 * await seeder.start()
 * await finder.start()
 * await seeder.provide(cid)
 * for await (const provider of finder.findProviders(cid, { signal: AbortSignal.timeout(10_000) })) {
 *   console.log(provider.addresses) // [ 'tcp://127.0.0.1:4001' ]
 * }
 * await finder.stop()
 * await seeder.stop()
 * ```
 */
export function trackerDiscovery (init: TrackerDiscoveryInit): DiscoveryFactory {
  const settings = checkInit(init)
  return (components) => new TrackerDiscovery(settings, components)
}

class TrackerDiscovery implements Discovery {
  readonly name = 'tracker'
  private readonly settings: TrackerSettings
  private readonly addresses: () => readonly string[]
  private readonly log: Logger
  private readonly clients: TrackerClient[]
  private readonly peerId: Uint8Array
  private readonly peerIdHex: string
  private readonly key = randomInt(0, 2 ** 32 - 1)
  private readonly memberships = new Memberships()
  /** Info hashes (hex) this node provides: lookups of them announce as a seeder. */
  private readonly provided = new Set<string>()
  /** Each tracker's wanted interval, in ms, bounded. */
  private readonly intervals = new Map<string, number>()
  private readonly externalIps = new Set<string>()
  /** Every announce in flight, so `stop()` can wait for the aborted ones to settle. */
  private readonly inFlight = new Set<Promise<unknown>>()
  private lifetime = new AbortController()
  private stopping: Promise<void> | undefined

  constructor (settings: TrackerSettings, components: DiscoveryComponents) {
    if (typeof components?.addresses !== 'function') {
      throw new InvalidConfigError('trackerDiscovery() needs the node\'s listen addresses (components.addresses), as a ChunkDistributor or createComponents() from @codio-chunk/protocol gives them')
    }
    this.settings = settings
    this.addresses = components.addresses
    this.log = components.logger('codio-chunk:discovery-tracker')
    this.peerId = trackerPeerIdOf(components.identity.peerId)
    this.peerIdHex = hex(this.peerId)
    this.clients = settings.trackers.map((tracker) => tracker.protocol === 'udp'
      ? new UdpTrackerClient(tracker, settings.timeout, MAX_PEERS_PER_LOOKUP, this.log)
      : new HttpTrackerClient(tracker, settings.timeout, MAX_PEERS_PER_LOOKUP))
  }

  /** The smallest interval the trackers asked for (bounded to 1 minute … 1 hour), or 15 minutes before any answered. */
  get reprovideInterval (): number {
    return this.intervals.size === 0 ? DEFAULT_REPROVIDE_INTERVAL : Math.min(...this.intervals.values())
  }

  async start (options?: AbortOptions): Promise<void> {
    throwIfAborted(options?.signal, 'tracker discovery start')
    if (this.stopping !== undefined) {
      await this.stopping
      this.stopping = undefined
      this.lifetime = new AbortController()
    }
    if (this.announcedPort() === undefined) this.log('no tcp:// listen address: this node can look up providers but cannot be found through a tracker')
  }

  async stop (): Promise<void> {
    this.stopping ??= this.leaveAll()
    await this.stopping
  }

  async provide (cid: ContentId, options?: AbortOptions): Promise<void> {
    throwIfAborted(options?.signal, 'provide')
    if (this.stopping !== undefined) throw new DiscoveryStoppedError()
    const port = this.announcedPort()
    if (port === undefined) {
      this.log('%s not announced: the node has no tcp:// listen address, and a tracker lists only ip:port', cid)
      return
    }
    const infoHash = infoHashOf(cid)
    const key = hex(infoHash)
    this.provided.add(key)
    const signal = this.requestSignal(options?.signal)
    const results = await Promise.allSettled(this.clients.map(async (client) =>
      await this.announce(client, key, { ...this.request(infoHash, port, 0, 0), event: this.memberships.eventFor(client.href, key, 0, port) }, signal)))
    if (options?.signal?.aborted === true) throw abortError(options.signal, 'provide')
    if (this.lifetime.signal.aborted) throw new DiscoveryStoppedError(`The tracker discovery stopped while announcing ${cid.toString()}`)
    const errors = results.flatMap((r) => r.status === 'rejected' ? [r.reason as Error] : [])
    if (errors.length < results.length) return
    throw new TrackerAnnounceError(`No tracker accepted the announce of ${cid.toString()}: ${errors.map((e) => e.message).join('; ')}`, errors)
  }

  async * findProviders (cid: ContentId, options?: AbortOptions): AsyncGenerator<ProviderRecord, void, undefined> {
    if (this.stopping !== undefined || options?.signal?.aborted === true) return
    const infoHash = infoHashOf(cid)
    const key = hex(infoHash)
    const listen = tcpEndpoints(this.addresses())
    const tcpPort = this.announcedPort(listen)
    // Without a TCP port the node cannot be a provider: it announces a placeholder and leaves at once.
    const port = tcpPort ?? LOOKUP_ONLY_PORT
    const left = this.provided.has(key) ? 0 : 1
    const done = new AbortController()
    const signal = this.requestSignal(options?.signal, done.signal)
    const queue = new RecordQueue<ProviderRecord>()
    const seen = new Set<string>()
    let own: Set<string> | undefined
    let waiting = this.clients.length
    for (const client of this.clients) {
      const request = { ...this.request(infoHash, port, left, this.settings.numWant), event: this.memberships.eventFor(client.href, key, left, port) }
      this.announce(client, key, request, signal).then((reply) => {
        if (tcpPort === undefined) this.leave(client, key, request)
        own ??= ownEndpoints(port, listen, this.externalIps)
        for (const peer of reply.peers) {
          if (seen.size >= MAX_PEERS_PER_LOOKUP) break
          const endpoint = endpointKey(peer.host, peer.port)
          if (seen.has(endpoint) || own.has(endpoint) || peer.port === 0 || peer.port === LOOKUP_ONLY_PORT || isUnspecifiedIp(peer.host)) continue
          if (peer.peerId !== undefined && hex(peer.peerId) === this.peerIdHex) continue
          seen.add(endpoint)
          queue.push({ addresses: [`tcp://${endpoint}`] })
        }
        if (seen.size >= MAX_PEERS_PER_LOOKUP) queue.end()
      }, () => {}).catch((err: Error) => {
        this.log.error('lookup of %s at %s: %s', key, client.href, err.message)
      }).finally(() => {
        if (--waiting === 0) queue.end()
      })
    }
    try {
      yield * queue.drain(signal)
    } finally {
      done.abort()
    }
  }

  /** One announce to one tracker; records what it says and logs a failure (then rethrows it). */
  private async announce (client: TrackerClient, key: string, request: AnnounceRequest, signal: AbortSignal): Promise<AnnounceReply> {
    const pending = client.announce(request, signal)
    this.inFlight.add(pending)
    let reply: AnnounceReply
    try {
      reply = await pending
    } catch (err) {
      if (!signal.aborted) this.log('announce (%s) of %s to %s failed: %s', request.event ?? 'update', key, client.href, (err as Error).message)
      else if (request.event !== 'stopped') {
        // Cut short, perhaps after the tracker listed this node: remember it, so stop() takes it back.
        this.memberships.joined(client.href, key, { infoHash: request.infoHash, port: request.port, left: request.left })
      }
      throw err
    } finally {
      this.inFlight.delete(pending)
    }
    if (request.event === 'stopped') this.memberships.left(client.href, key)
    else this.memberships.joined(client.href, key, { infoHash: request.infoHash, port: request.port, left: request.left })
    if (reply.warning !== undefined) this.log('tracker %s warns: %s', client.href, reply.warning)
    if (reply.externalIp !== undefined && this.externalIps.size < MAX_EXTERNAL_IPS) this.externalIps.add(reply.externalIp)
    if (reply.interval !== undefined) {
      const wanted = Math.max(reply.interval, reply.minInterval ?? 0) * 1000
      this.intervals.set(client.href, Math.min(MAX_REPROVIDE_INTERVAL, Math.max(MIN_REPROVIDE_INTERVAL, wanted)))
    }
    this.log('announced (%s) %s to %s: %d peers', request.event ?? 'update', key, client.href, reply.peers.length)
    return reply
  }

  /** A lookup of a node with no TCP port takes its placeholder listing back at once (best effort, in the background). */
  private leave (client: TrackerClient, key: string, joined: AnnounceRequest): void {
    this.announce(client, key, { ...joined, event: 'stopped', numWant: 0 }, this.lifetime.signal).catch(() => {})
  }

  /** Tells every tracker this node leaves each swarm it joined, bounded by `stopTimeout`; then closes everything. */
  private async leaveAll (): Promise<void> {
    this.lifetime.abort()
    await Promise.allSettled([...this.inFlight])
    const deadline = AbortSignal.timeout(this.settings.stopTimeout)
    const byHref = new Map(this.clients.map((client) => [client.href, client]))
    const tasks = this.memberships.all().map(({ tracker, key, membership }) => async () => {
      const client = byHref.get(tracker) as TrackerClient
      const request = { ...this.request(membership.infoHash, membership.port, membership.left, 0), event: 'stopped' as const }
      await this.announce(client, key, request, deadline).catch(() => {})
    })
    const workers = Array.from({ length: Math.min(STOP_CONCURRENCY, tasks.length) }, async () => {
      for (let task = tasks.shift(); task !== undefined; task = tasks.shift()) await task()
    })
    await Promise.all(workers)
    for (const client of this.clients) client.close()
    this.memberships.clear()
    this.provided.clear()
    this.log('stopped')
  }

  private request (infoHash: Uint8Array, port: number, left: 0 | 1, numWant: number): AnnounceRequest {
    return { infoHash, peerId: this.peerId, port, left, numWant, key: this.key }
  }

  /** The announced port: the `port` option, else the first TCP listen port; undefined without a TCP listen address. */
  private announcedPort (listen = tcpEndpoints(this.addresses())): number | undefined {
    if (listen.length === 0) return undefined
    return this.settings.port ?? listen[0].port
  }

  /** A signal for requests: fires when the discovery stops or any of `signals` fires. */
  private requestSignal (...signals: Array<AbortSignal | undefined>): AbortSignal {
    return AbortSignal.any([this.lifetime.signal, ...signals.filter((s): s is AbortSignal => s !== undefined)])
  }
}
