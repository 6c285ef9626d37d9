import { ChunkAvailability, createRandom } from '@codio-chunk/pieces'
import { ChunkVerificationError, NoProvidersError, TimeoutError } from '@codio-chunk/interface'
import { RejectCode } from '@codio-chunk/interface'
import { RateMeter } from '../peers/rate-meter.js'
import { ChunkIntake } from './chunk-intake.js'
import { InflightRequests } from './inflight-requests.js'
import { StallWatch } from './stall-watch.js'
import { pickChunk } from './pick-chunk.js'
import { PeerDownload, admitRequest } from './peer-download.js'
import { unrefInterval } from '../util/timers.js'
import { OriginFallback, isOrigin } from '../origin/origin-fallback.js'
import type { ChunkSource } from './chunk-intake.js'
import type { ContentSwarm, SwarmDownload } from '../swarm/swarm.js'
import type { EngineServices } from '../node/services.js'
import type { PeerSession, RequestOutcome } from '../peers/peer-session.js'
import type { PeerHoldings } from '@codio-chunk/pieces'
import type { ChunkRequest, DownloadProgress } from './peer-download.js'

/**
 * How much of the pool a download has made ready (memory touched) when it starts: 16 MiB, about
 * what arrives in the first few tens of milliseconds. In a fresh process the first chunk frames
 * otherwise take their page faults inside socket reads; see `BufferPool.warm`.
 */
const WARM_BYTES = 16 * 1024 * 1024
/** Room for a chunk frame's header on top of the chunk (the pool rounds sizes up in 16 KiB steps). */
const FRAME_HEADER_ROOM = 64

/** What a {@link Download} tells the node. */
export interface DownloadEvents {
  /** Chunk `index` was verified and stored: the swarm is to hear of it (`have`). */
  chunkStored(index: number): void
  /** A peer broke the rules past the limit (bad chunks): it is to be disconnected and banned. */
  peerMisbehaved(session: PeerSession, reason: string): void
  /** The swarm ran dry: dial its known addresses again; resolves when the attempts settle. */
  needPeers(): Promise<void>
  /** The download started (true) or ended (false): a node with none running ranks peers as a seeder. */
  running(active: boolean): void
}

/**
 * Downloads the missing chunks of one content from the peers in its swarm: asks each peer for up
 * to `chunksPerPeer` chunks at a time in the order the strategy picks (each request issued once
 * the node's download limiter grants the chunk's bytes), has each chunk verified and stored
 * ({@link ChunkIntake}), re-requests failed, bad or slow chunks from other peers, duplicates the
 * last requests (endgame, {@link InflightRequests}), bans peers that keep sending bad data and
 * redials a swarm that ran dry ({@link StallWatch}). Two rules keep a swarm's scarce uploads busy
 * with useful work: a request to a seed for a chunk another peer just got from it moves to that
 * peer (`moveOffSeeds`), and interest in a peer is dropped while there is nothing to ask it for,
 * so its upload slot goes to a peer that has requests (`fill`).
 */
export class Download implements SwarmDownload {
  readonly swarm: ContentSwarm
  readonly availability: ChunkAvailability
  readonly rate: RateMeter
  readonly promise: Promise<void>
  private downloadedBytes = 0
  /** Playback position for strategies that care (a chunk index); see {@link setPosition}. */
  private position = 0
  private readonly ctx: EngineServices
  private readonly events: DownloadEvents
  private readonly peers = new Map<PeerSession, PeerDownload>()
  private readonly inflight: InflightRequests
  private readonly intake: ChunkIntake
  private readonly stall: StallWatch
  /** Chunks from the node's origins when the swarm does not deliver them (absent without origins). */
  private readonly origin?: OriginFallback
  private readonly random: () => number
  private finished = false
  /** Counted as running in the engine (between start() and the end). */
  private running = false
  private sweepTimer?: ReturnType<typeof setInterval>
  /** Stops the pool's warm-up when the download ends first. */
  private readonly warming = new AbortController()
  private lastError?: Error
  private resolve!: () => void
  private reject!: (err: Error) => void

  /**
   * @param options.seed - seed of the strategy's random choices (tests)
   * @param options.connectedPeers - peers connected to the node (none, and no swarm member: the origins are asked at once)
   */
  constructor (ctx: EngineServices, swarm: ContentSwarm, events: DownloadEvents, options: { seed?: number, connectedPeers?: () => number } = {}) {
    this.ctx = ctx
    this.events = events
    this.swarm = swarm
    this.availability = new ChunkAvailability(swarm.manifest.chunkCount, swarm.have)
    this.rate = new RateMeter({ clock: ctx.clock })
    this.random = createRandom(options.seed ?? Math.floor(Math.random() * 0xffffffff))
    this.inflight = new InflightRequests((session) => this.peers.get(session))
    this.intake = new ChunkIntake(ctx, swarm.manifest, {
      stored: (index, from, bytes) => { this.stored(index, from, bytes) },
      rejected: (index, from) => { this.badChunk(from, index) },
      failed: (error) => { this.abort(error) },
      ended: () => this.finished,
      storedLate: (index) => { this.swarm.have.set(index) }
    })
    this.stall = new StallWatch({
      clock: ctx.clock,
      requestTimeout: ctx.config.requestTimeout,
      redial: async () => { await this.events.needPeers() },
      redialed: () => { this.fillAll() },
      waitingForUnchoke: (now) => this.waitingForUnchoke(now),
      fail: () => { this.fail() }
    })
    this.origin = !ctx.origins.enabled ? undefined : new OriginFallback(ctx, ctx.origins, {
      swarm,
      availability: this.availability,
      intake: this.intake,
      position: () => swarm.readers?.earliest() ?? this.position,
      swarmPeers: () => this.peers.size,
      connectedPeers: options.connectedPeers ?? (() => this.peers.size),
      released: () => { this.fillAll() }
    })
    for (const index of swarm.have) this.downloadedBytes += swarm.manifest.chunkLength(index)
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    this.promise.catch(() => {})
  }

  /** True once the download completed, failed or was aborted. */
  get done (): boolean { return this.finished }

  /** How many connected members hold chunk `index`. */
  availabilityOf (index: number): number {
    return this.availability.availability(index)
  }

  /** Tells strategies where the consumer is (a chunk index, e.g. a playback position). */
  setPosition (index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.swarm.manifest.chunkCount) {
      throw new RangeError(`Position ${index} is out of range 0..${this.swarm.manifest.chunkCount - 1}`)
    }
    this.position = index
  }

  /** Starts requesting from the peers already in the swarm. */
  start (): void {
    if (this.finished) return
    this.running = true
    this.events.running(true)
    this.position = this.swarm.readers?.earliest() ?? this.position
    if (this.checkComplete()) return
    for (const [session, holdings] of this.swarm.peers) this.peerJoined(session, holdings)
    const every = Math.max(20, Math.min(1000, this.ctx.config.requestTimeout / 4))
    this.sweepTimer = unrefInterval(() => { this.sweep() }, every)
    this.warmBuffers()
    this.fillAll()
    this.origin?.start()
  }

  /** Has the pool make chunk frame buffers ready, in slices between the first responses. */
  private warmBuffers (): void {
    const { manifest } = this.swarm
    if (this.ctx.buffers.warm === undefined || manifest.chunkCount === 0) return
    const frame = Math.min(manifest.chunkLength(0), this.ctx.config.maxChunkSize) + FRAME_HEADER_ROOM
    const left = manifest.totalSize - this.downloadedBytes
    this.ctx.buffers.warm(frame, Math.min(left, WARM_BYTES), { signal: this.warming.signal }).catch(() => {})
  }

  /** A peer sent its bitfield for this content. */
  peerJoined (session: PeerSession, holdings: PeerHoldings): void {
    if (this.finished || this.peers.has(session)) return
    this.peers.set(session, new PeerDownload(holdings, this.ctx.clock))
    this.availability.peerJoined(holdings)
    this.updateInterest(session, holdings)
    this.stall.peerJoined()
    this.fill(session)
  }

  /** A swarm peer sent a new bitfield (its holdings object was updated in place). */
  peerUpdated (session: PeerSession): void {
    const peer = this.peers.get(session)
    if (this.finished || peer === undefined) return
    this.availability.peerUpdated(peer.holdings)
    this.updateInterest(session, peer.holdings)
    this.fill(session)
  }

  /** A swarm peer announced a new chunk. */
  peerHas (session: PeerSession, index: number): void {
    const peer = this.peers.get(session)
    if (this.finished || peer === undefined) return
    // Nobody but the seeds had it: if we asked a seed for it, that seed sent (or is about to send)
    // it to this peer too, and its upload is the swarm's bottleneck (see moveOffSeeds).
    const firstCopy = this.availability.availability(index) === this.availability.seedCount
    this.availability.peerHas(peer.holdings, index)
    if (!this.availability.isCompleted(index) && session.peerChoking) session.declareInterest(this.swarm.key, this.swarm.root, true)
    if (firstCopy && !peer.holdings.complete && this.inflight.isRequested(index)) this.moveOffSeeds(index, session)
    this.fill(session)
  }

  /**
   * A partial peer just got chunk `index`, which we had asked a seed for and so far only seeds had:
   * two of us asked the seed for the same chunk at about the same time. The request to the seed
   * is cancelled (it usually still waits in the seed's upload queue), so the seed sends a chunk
   * nobody has instead of a second copy; the chunk is a candidate again, to fetch from the peer
   * that has it or, once it is the rarest left, from a seed again. Happens at most once per chunk
   * (only for the first non-seed copy), so a choking holder can delay the chunk but never stall it.
   */
  private moveOffSeeds (index: number, holder: PeerSession): void {
    const seeds = this.inflight.cancelWhere(index, (entry) => entry.session !== holder && this.peers.get(entry.session)?.holdings.complete === true, 'a peer got the chunk from the seed first', this.release)
    for (const seed of seeds) this.fill(seed)
  }

  /** A swarm peer disconnected: its requests go back to the pool. */
  peerLeft (session: PeerSession): void {
    const peer = this.peers.get(session)
    if (peer === undefined) return
    this.peers.delete(session)
    this.availability.peerLeft(peer.holdings)
    this.inflight.removeSession(session, 'peer left the swarm', this.release)
    if (this.finished) return
    this.fillAll()
    if (this.peers.size === 0) this.stall.peersGone()
  }

  /**
   * The peer choked us: its requests will be rejected, so they go to other peers at once (a
   * cancel is sent for each; a late answer is ignored), and nothing more is asked of it until
   * it unchokes us.
   */
  peerChoked (session: PeerSession): void {
    if (this.finished || !this.peers.has(session)) return
    if (this.inflight.removeSession(session, 'peer choked us', this.release)) this.fillAll()
  }

  /** The peer unchoked us (or anything else changed): ask it for more. */
  fill (session: PeerSession): void {
    if (this.finished || session.closed || session.peerChoking) return
    const peer = this.peers.get(session)
    if (peer === undefined) return
    const maxServed = session.remoteHello?.maxRequests ?? this.ctx.config.chunksPerPeer
    const limit = peer.snubbed ? 1 : Math.min(this.ctx.config.chunksPerPeer, maxServed)
    while (peer.inflight < limit && session.requestsOut < maxServed && !this.intake.full) {
      // Chunks a reader of the content needs soon come first (streaming), whatever the strategy.
      let index = this.swarm.readers?.pick(this.availability.candidates, peer) ??
        pickChunk(this.ctx, this.availability, peer, { position: this.position, random: this.random })
      if (index === undefined && this.availability.candidates.size === 0) index = this.inflight.endgamePick(session, peer)
      if (index === undefined) {
        // Nothing to ask it for now: while we stay interested we would hold one of its few upload
        // slots for nothing, so say so and let a peer that has requests take the slot. We ask it
        // again (which counts as interest) as soon as it has something we lack and nobody else serves.
        if (peer.inflight === 0) session.declareInterest(this.swarm.key, this.swarm.root, false)
        return
      }
      session.declareInterest(this.swarm.key, this.swarm.root, true)
      if (!this.send(session, peer, index)) return
    }
  }

  /**
   * Interest when a peer's chunk map arrives or changes: none in a peer with nothing; a peer that
   * chokes us is told we are interested (so it may give us a slot); otherwise {@link fill} decides,
   * by asking (a request counts as interest) or by dropping interest when there is nothing to ask.
   */
  private updateInterest (session: PeerSession, holdings: PeerHoldings): void {
    if (holdings.count === 0) session.declareInterest(this.swarm.key, this.swarm.root, false)
    else if (session.peerChoking) session.declareInterest(this.swarm.key, this.swarm.root, true)
  }

  fillAll (): void {
    for (const session of this.peers.keys()) this.fill(session)
  }

  /** Stops the download; the promise rejects with `error`. Stored chunks stay for a later resume. */
  abort (error: Error): void {
    if (this.finished) return
    this.finish()
    this.reject(error)
  }

  progress (): DownloadProgress {
    const total = this.swarm.manifest.totalSize
    const rate = this.rate.rate()
    const remaining = total - this.downloadedBytes
    let peers = 0
    for (const session of this.swarm.peers.keys()) if (!session.closed) peers++
    return {
      progress: total === 0 ? (this.availability.completedCount === this.swarm.manifest.chunkCount ? 1 : 0) : this.downloadedBytes / total,
      downloadedBytes: this.downloadedBytes,
      totalBytes: total,
      downloadRate: rate,
      peers,
      eta: remaining === 0 ? 0 : rate > 0 ? (remaining / rate) * 1000 : undefined,
      ...(this.origin !== undefined ? { origin: this.origin.progress() } : {})
    }
  }

  /**
   * Chunks that reached storage some other way (the content was published locally): completes
   * them, cancels their requests and finishes the download if nothing is left.
   */
  storedElsewhere (indices: Iterable<number>): void {
    if (this.finished) return
    for (const index of indices) {
      if (!this.availability.markCompleted(index)) continue
      this.swarm.have.set(index)
      this.downloadedBytes += this.swarm.manifest.chunkLength(index)
      this.inflight.cancelChunk(index, 'chunk arrived from another peer')
    }
    if (!this.checkComplete()) this.fillAll()
  }

  /**
   * Asks `session` for chunk `index`; false if nothing more should be asked of it now (closed, or
   * the download limiter has no tokens yet: the chunk then stays reserved and is asked for later).
   */
  private send (session: PeerSession, peer: PeerDownload, index: number): boolean {
    const entry: ChunkRequest = { index, session }
    const limiter = this.ctx.downloadLimiter
    const bytes = Math.min(this.swarm.manifest.chunkLength(index), this.ctx.config.maxChunkSize)
    const now = admitRequest(limiter, entry, bytes, () => {
      const wanted = !this.finished && this.inflight.has(entry)
      if (wanted && !session.peerChoking && this.issue(entry)) { this.fill(session); return }
      limiter.refund(bytes)
      if (wanted) { this.drop(entry); this.fillAll() }
    })
    if (now && !this.issue(entry)) { limiter.refund(bytes); return false }
    if (this.inflight.add(entry)) this.availability.markRequested(index)
    return now
  }

  private issue (entry: ChunkRequest): boolean {
    entry.request = entry.session.request(
      { type: 'request-chunk', content: this.swarm.root, index: entry.index },
      this.ctx.config.requestTimeout,
      (outcome) => { this.onOutcome(entry, outcome) }
    )
    return entry.request !== undefined
  }

  /** Back to the pool: a chunk nobody fetches any more is a candidate again unless done or pending. */
  private readonly release = (index: number): void => {
    if (!this.availability.isCompleted(index) && !this.intake.isPending(index)) this.availability.markReleased(index)
  }

  /** Forgets a request; returns the chunk to the pool if nobody else is fetching it. */
  private drop (entry: ChunkRequest): void {
    if (this.inflight.remove(entry)) this.release(entry.index)
  }

  private onOutcome (entry: ChunkRequest, outcome: RequestOutcome): void {
    if (this.finished || !this.inflight.has(entry)) return
    const session = entry.session
    if (!outcome.ok) {
      this.lastError = outcome.error
      if (outcome.rejected === RejectCode.Choked) {
        // Treat it as a choke: move every request to other peers, ask this one again only after it unchokes us.
        session.markChoked()
        this.inflight.removeSession(session, 'peer choked us', this.release)
      } else {
        // A peer that said it holds the chunk refused it: the choker holds that against it (Busy is our own excess).
        if (outcome.rejected !== undefined && outcome.rejected !== RejectCode.Busy) session.markWithheld()
        this.peers.get(session)?.failed.set(entry.index, this.ctx.clock() + this.ctx.config.requestTimeout)
      }
      this.drop(entry)
      this.fillAll()
      return
    }
    // The chunk stays marked requested while it is verified and stored, so it is not picked again.
    this.inflight.remove(entry)
    const peer = this.peers.get(session)
    if (peer !== undefined) peer.snubbed = false
    const index = entry.index
    if (!this.availability.isCompleted(index) && !this.intake.isPending(index)) {
      this.intake.accept(index, session, outcome.bytes)
      // Endgame copies asked of others are useless now (a bad copy puts the chunk back): cancel them.
      if (this.inflight.cancelChunk(index, 'chunk arrived from another peer')) this.fillAll()
    } // else an endgame duplicate: another copy is already done or on its way
    this.fill(session)
  }

  /** A chunk verified and was stored. */
  private stored (index: number, from: ChunkSource, bytes: number): void {
    if (this.availability.markCompleted(index)) {
      this.swarm.have.set(index)
      this.downloadedBytes += bytes
      this.rate.add(bytes)
      this.stall.progress()
      this.inflight.cancelChunk(index, 'chunk arrived from another peer')
      this.events.chunkStored(index)
      this.origin?.stored(index, isOrigin(from) ? from : undefined, bytes)
      if (!isOrigin(from) && this.ctx.events.has('chunk:verified')) {
        this.ctx.events.emit('chunk:verified', { cid: this.swarm.manifest.root, index, peerId: from.peerId, bytes })
      }
    }
    if (!this.checkComplete()) this.fillAll()
  }

  private badChunk (session: ChunkSource, index: number): void {
    if (!this.availability.isCompleted(index) && !this.inflight.isRequested(index)) this.availability.markReleased(index)
    if (isOrigin(session)) {
      this.origin?.rejected(index, session)
      this.fillAll()
      return
    }
    const bad = session.countBadChunk()
    this.peers.get(session)?.failed.set(index, Number.POSITIVE_INFINITY)
    this.lastError = new ChunkVerificationError(`Chunk ${index} of ${this.swarm.key} from peer ${session.peerId} failed verification`)
    this.ctx.events.emit('chunk:invalid', { cid: this.swarm.manifest.root, index, peerId: session.peerId })
    if (bad >= this.ctx.config.maxBadChunks && !session.closed) {
      this.events.peerMisbehaved(session, `sent ${bad} chunks that failed verification`)
    }
    this.fillAll()
  }

  private checkComplete (): boolean {
    if (this.availability.completedCount < this.swarm.manifest.chunkCount) return false
    if (!this.finished) {
      this.finish()
      this.ctx.events.emit('download:complete', { cid: this.swarm.manifest.root })
      this.resolve()
    }
    return true
  }

  private finish (): void {
    this.finished = true
    clearInterval(this.sweepTimer)
    this.origin?.stop()
    this.warming.abort()
    if (this.running) {
      this.running = false
      this.events.running(false)
    }
    this.inflight.cancelAll('download finished')
    for (const session of this.peers.keys()) session.declareInterest(this.swarm.key, this.swarm.root, false)
    this.peers.clear()
  }

  /** Times out slow requests and notices a download that has run out of peers. */
  private sweep (): void {
    if (this.finished) return
    const now = this.ctx.clock()
    let timedOut = false
    this.inflight.forEachExpired(now, (entry) => {
      timedOut = true
      this.timeOut(entry, now)
    })
    if (timedOut) this.fillAll()
    this.stall.check(now, this.inflight.size > 0 || this.intake.size > 0)
  }

  private timeOut (entry: ChunkRequest, now: number): void {
    const { session, index } = entry
    session.countTimeout()
    session.markWithheld()
    if (entry.request !== undefined) session.cancel(entry.request, new TimeoutError('request timed out'), true)
    const peer = this.peers.get(session)
    if (peer !== undefined) {
      peer.snubbed = true
      peer.failed.set(index, now + this.ctx.config.requestTimeout)
    }
    this.lastError = new TimeoutError(`Peer ${session.peerId} did not deliver chunk ${index} within ${this.ctx.config.requestTimeout} ms`)
    this.ctx.events.emit('chunk:timeout', { cid: this.swarm.manifest.root, index, peerId: session.peerId })
    this.drop(entry)
  }

  /** True if a peer that choked us recently may still unchoke us. */
  private waitingForUnchoke (now: number): boolean {
    const chokeWait = 2 * this.ctx.config.optimisticUnchokeInterval
    for (const session of this.peers.keys()) {
      if (session.peerChoking && !session.closed && now - session.chokedAt < chokeWait) return true
    }
    return false
  }

  private fail (): void {
    // The origins can still supply the rest: they are what the download waits for now.
    if (this.origin?.canSupply() === true) return
    const missing = this.swarm.manifest.chunkCount - this.availability.completedCount
    this.abort(new NoProvidersError(
      `No reachable peer can supply the remaining ${missing} of ${this.swarm.manifest.chunkCount} chunks of ${this.swarm.key}` +
      (this.lastError !== undefined ? ` (last problem: ${this.lastError.message})` : '') +
      '; chunks already verified are kept, so retrying later resumes the download',
      { cause: this.lastError }
    ))
  }
}

export type { DownloadProgress }
