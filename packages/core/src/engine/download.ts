import { ChunkAvailability, createRandom } from '../pieces/availability.js'
import { defaultStrategy } from '../pieces/rarest.js'
import { leafData } from '../content/leaf.js'
import { AbortError, ChunkVerificationError, NoProvidersError, TimeoutError } from '../errors.js'
import { RejectCode } from '../wire/messages.js'
import { RateMeter } from './rate-meter.js'
import type { ContentSwarm } from './swarm.js'
import type { EngineContext } from './engine-context.js'
import type { PeerSession, RequestOutcome } from './peer-session.js'
import type { PeerHoldings } from '../pieces/peer-chunks.js'
import type { PickView } from '../contracts/strategy.js'
import { PeerDownload, admitRequest } from './peer-download.js'
import type { ChunkRequest, DownloadProgress } from './peer-download.js'

/** Bytes of received chunks that may wait for verification and storage before requests pause. */
const PENDING_STORE_BYTES = 32 * 1024 * 1024
/** Most duplicate requests for one chunk in endgame. */
const ENDGAME_DUPLICATES = 3
/** Redial rounds without progress before a stalled download fails. */
const MAX_REDIALS = 3

/**
 * Downloads the missing chunks of one content from the peers in its swarm: asks each peer for up
 * to `chunksPerPeer` chunks at a time in the order the strategy picks (each request issued once
 * the node's download limiter grants the chunk's bytes), verifies and stores each
 * chunk, re-requests failed, bad or slow chunks from other peers, duplicates the last requests
 * (endgame) and bans peers that keep sending bad data.
 */
export class Download {
  readonly swarm: ContentSwarm
  readonly availability: ChunkAvailability
  readonly rate: RateMeter
  readonly promise: Promise<void>
  downloadedBytes = 0
  /** Playback position for strategies that care (a chunk index); set through `setPosition()`. */
  position = 0
  private readonly ctx: EngineContext
  private readonly inflight = new Map<number, Set<ChunkRequest>>()
  /** Chunks whose copy is being verified or stored: not requested again, not released. */
  private readonly storing = new Set<number>()
  private readonly peers = new Map<PeerSession, PeerDownload>()
  private readonly random: () => number
  private readonly maxPendingStores: number
  private finished = false
  /** Counted as running in the engine (between start() and the end). */
  private running = false
  private sweepTimer?: ReturnType<typeof setInterval>
  private idleSince?: number
  private redials = 0
  private redialing = false
  private lastError?: Error
  private resolve!: () => void
  private reject!: (err: Error) => void

  constructor (ctx: EngineContext, swarm: ContentSwarm, options: { seed?: number } = {}) {
    this.ctx = ctx
    this.swarm = swarm
    this.availability = new ChunkAvailability(swarm.manifest.chunkCount, swarm.have)
    this.rate = new RateMeter({ clock: ctx.clock })
    this.random = createRandom(options.seed ?? Math.floor(Math.random() * 0xffffffff))
    // Chunks received but not yet verified and stored, bounded in bytes (about 32 MiB).
    this.maxPendingStores = Math.max(16, Math.floor(PENDING_STORE_BYTES / Math.max(1, swarm.manifest.chunkSize)))
    for (const index of swarm.have) this.downloadedBytes += swarm.manifest.chunkLength(index)
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    this.promise.catch(() => {})
  }

  /** True once the download completed, failed or was aborted. */
  get done (): boolean { return this.finished }

  /** Starts requesting from the peers already in the swarm. */
  start (): void {
    if (this.finished) return
    this.running = true
    this.ctx.downloadRunning(true)
    if (this.checkComplete()) return
    for (const [session, holdings] of this.swarm.peers) this.peerJoined(session, holdings)
    const every = Math.max(20, Math.min(1000, this.ctx.config.requestTimeout / 4))
    this.sweepTimer = setInterval(() => { this.sweep() }, every)
    this.sweepTimer.unref?.()
    this.fillAll()
  }

  /** A peer sent its bitfield for this content. */
  peerJoined (session: PeerSession, holdings: PeerHoldings): void {
    if (this.finished || this.peers.has(session)) return
    this.peers.set(session, new PeerDownload(holdings, this.ctx.clock))
    this.availability.peerJoined(holdings)
    this.ctx.setInterest(this.swarm, session, holdings.count > 0)
    this.idleSince = undefined
    this.fill(session)
  }

  /** A swarm peer sent a new bitfield (its holdings object was updated in place). */
  peerUpdated (session: PeerSession): void {
    const peer = this.peers.get(session)
    if (this.finished || peer === undefined) return
    this.availability.peerUpdated(peer.holdings)
    this.ctx.setInterest(this.swarm, session, peer.holdings.count > 0)
    this.fill(session)
  }

  /** A swarm peer announced a new chunk. */
  peerHas (session: PeerSession, index: number): void {
    const peer = this.peers.get(session)
    if (this.finished || peer === undefined) return
    this.availability.peerHas(peer.holdings, index)
    if (!this.availability.isCompleted(index)) this.ctx.setInterest(this.swarm, session, true)
    this.fill(session)
  }

  /** A swarm peer disconnected: its requests go back to the pool. */
  peerLeft (session: PeerSession): void {
    const peer = this.peers.get(session)
    if (peer === undefined) return
    this.peers.delete(session)
    this.availability.peerLeft(peer.holdings)
    this.releaseRequestsOf(session, 'peer left the swarm')
    if (this.finished) return
    this.fillAll()
    if (this.peers.size === 0 && this.redials < MAX_REDIALS) this.redial()
  }

  /**
   * The peer choked us: its requests will be rejected, so they go to other peers at once (a
   * cancel is sent for each; a late answer is ignored), and nothing more is asked of it until
   * it unchokes us.
   */
  peerChoked (session: PeerSession): void {
    if (this.finished || !this.peers.has(session)) return
    if (this.releaseRequestsOf(session, 'peer choked us')) this.fillAll()
  }

  /** Cancels (silently) and forgets every request to `session`; true if there were any. */
  private releaseRequestsOf (session: PeerSession, reason: string): boolean {
    let any = false
    for (const set of this.inflight.values()) {
      for (const entry of set) {
        if (entry.session !== session) continue
        if (entry.request !== undefined) session.cancel(entry.request, new AbortError(reason), true)
        this.dropRequest(entry)
        any = true
      }
    }
    return any
  }

  /** The peer unchoked us (or anything else changed): ask it for more. */
  fill (session: PeerSession): void {
    if (this.finished || session.closed || session.peerChoking) return
    const peer = this.peers.get(session)
    if (peer === undefined) return
    const maxServed = session.remoteHello?.maxRequests ?? this.ctx.config.chunksPerPeer
    const limit = peer.snubbed ? 1 : Math.min(this.ctx.config.chunksPerPeer, maxServed)
    while (peer.inflight < limit && session.outgoing.size < maxServed && this.storing.size < this.maxPendingStores) {
      let index = this.pick(peer)
      if (index === undefined) index = this.endgamePick(session, peer)
      if (index === undefined) return
      if (!this.send(session, peer, index)) return
    }
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
      eta: remaining === 0 ? 0 : rate > 0 ? (remaining / rate) * 1000 : undefined
    }
  }

  private pick (peer: PeerDownload): number | undefined {
    if (this.availability.candidates.size === 0) return undefined
    const view = this.availability.view(peer, { position: this.position, random: this.random })
    let index: number | undefined
    try {
      index = this.ctx.strategy.pick(view)
    } catch (err) {
      // A faulty strategy plugin must not stall the download or be blamed on the peer.
      this.ctx.log.error('strategy %s threw: %s; using rarest-first for this pick', this.ctx.strategy.name, (err as Error)?.message)
      return this.fallbackPick(view)
    }
    if (index === undefined) return undefined
    if (!Number.isInteger(index) || !this.availability.candidates.has(index) || !peer.has(index)) {
      this.ctx.log.error('strategy %s picked %s, which is not a candidate this peer has; using rarest-first for this pick', this.ctx.strategy.name, String(index))
      return this.fallbackPick(view)
    }
    return index
  }

  private fallbackPick (view: PickView): number | undefined {
    return defaultStrategy.pick(view)
  }

  /** Endgame: nothing left to pick, so ask this peer too for a chunk already requested elsewhere. */
  private endgamePick (session: PeerSession, peer: PeerDownload): number | undefined {
    if (this.availability.candidates.size !== 0) return undefined
    let best: number | undefined
    let bestCount = ENDGAME_DUPLICATES
    for (const [index, set] of this.inflight) {
      if (set.size >= bestCount || !peer.has(index)) continue
      let mine = false
      for (const request of set) if (request.session === session) { mine = true; break }
      if (mine) continue
      best = index
      bestCount = set.size
      if (bestCount === 1) break
    }
    return best
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
      const wanted = !this.finished && this.inflight.get(index)?.has(entry) === true
      if (wanted && !session.peerChoking && this.issue(entry)) { this.fill(session); return }
      limiter.refund(bytes)
      if (wanted) { this.dropRequest(entry); this.fillAll() }
    })
    if (now && !this.issue(entry)) { limiter.refund(bytes); return false }
    this.track(entry, peer)
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

  private track (entry: ChunkRequest, peer: PeerDownload): void {
    let set = this.inflight.get(entry.index)
    if (set === undefined) {
      this.inflight.set(entry.index, set = new Set())
      this.availability.markRequested(entry.index)
    }
    set.add(entry)
    peer.inflight++
  }

  /** Forgets a request; returns the chunk to the pool if nobody else is fetching it. */
  private dropRequest (entry: ChunkRequest): void {
    const set = this.inflight.get(entry.index)
    if (set?.delete(entry) !== true) return
    entry.waiting?.abort()
    const peer = this.peers.get(entry.session)
    if (peer !== undefined) peer.inflight--
    if (set.size === 0) {
      this.inflight.delete(entry.index)
      if (!this.availability.isCompleted(entry.index) && !this.storing.has(entry.index)) this.availability.markReleased(entry.index)
    }
  }

  private onOutcome (entry: ChunkRequest, outcome: RequestOutcome): void {
    if (this.finished) return
    const set = this.inflight.get(entry.index)
    if (set?.has(entry) !== true) return
    if (!outcome.ok) {
      this.lastError = outcome.error
      const peer = this.peers.get(entry.session)
      if (outcome.rejected === RejectCode.Choked) {
        // Treat it as a choke: move every request to other peers, ask this one again only after it unchokes us.
        entry.session.markChoked()
        this.releaseRequestsOf(entry.session, 'peer choked us')
      } else if (peer !== undefined) {
        peer.failed.set(entry.index, this.ctx.clock() + this.ctx.config.requestTimeout)
      }
      this.dropRequest(entry)
      this.fillAll()
      return
    }
    // Keep the chunk marked requested while it is verified and stored, so it is not picked again.
    set.delete(entry)
    if (set.size === 0) this.inflight.delete(entry.index)
    const peer = this.peers.get(entry.session)
    if (peer !== undefined) {
      peer.inflight--
      peer.snubbed = false
    }
    if (this.availability.isCompleted(entry.index) || this.storing.has(entry.index)) {
      // An endgame duplicate: another copy is already done or on its way.
      this.fill(entry.session)
      return
    }
    this.storing.add(entry.index)
    this.fill(entry.session)
    this.verifyAndStore(entry, outcome.bytes).catch((err: Error) => { this.abort(err) })
  }

  private async verifyAndStore (entry: ChunkRequest, block: Uint8Array): Promise<void> {
    const { index, session } = entry
    const manifest = this.swarm.manifest
    let data: Uint8Array | undefined
    try {
      // A verifier that throws is a local failure: it rejects the download instead of blaming the peer.
      const ok = await this.ctx.verify.verify(manifest.chunkCid(index), block)
      if (ok) {
        try {
          data = leafData(manifest, index, block)
        } catch (err) {
          this.ctx.log('chunk %d from %s is malformed: %s', index, session.peerId, (err as Error).message)
        }
      }
      if (this.finished) return
      if (data === undefined) {
        this.storing.delete(index)
        this.badChunk(session, index)
        return
      }
      await this.ctx.storage.putChunk(manifest.root, index, data)
    } catch (err) {
      this.storing.delete(index)
      throw err
    }
    this.storing.delete(index)
    if (this.finished) {
      // Stored after an abort: keep it for the next attempt.
      this.swarm.have.set(index)
      return
    }
    if (this.availability.markCompleted(index)) this.completed(index, session, data.length)
    if (!this.checkComplete()) this.fillAll()
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
      this.cancelDuplicates(index)
    }
    if (!this.checkComplete()) this.fillAll()
  }

  private completed (index: number, from: PeerSession, bytes: number): void {
    this.swarm.have.set(index)
    this.downloadedBytes += bytes
    this.rate.add(bytes)
    this.idleSince = undefined
    this.redials = 0
    this.cancelDuplicates(index)
    this.ctx.announceHave(this.swarm, index)
    if (this.ctx.events.has('chunk:verified')) {
      this.ctx.events.emit('chunk:verified', { cid: this.swarm.manifest.root, index, peerId: from.peerId, bytes })
    }
  }

  /** Cancels the requests still open for a chunk that is now complete. */
  private cancelDuplicates (index: number): void {
    const set = this.inflight.get(index)
    if (set === undefined) return
    this.inflight.delete(index)
    for (const other of set) {
      const peer = this.peers.get(other.session)
      if (peer !== undefined) peer.inflight--
      other.waiting?.abort()
      if (other.request !== undefined) other.session.cancel(other.request, new AbortError('chunk arrived from another peer'), true)
    }
  }

  private badChunk (session: PeerSession, index: number): void {
    session.badChunks++
    const peer = this.peers.get(session)
    peer?.failed.set(index, Number.POSITIVE_INFINITY)
    if (!this.availability.isCompleted(index) && !this.inflight.has(index)) this.availability.markReleased(index)
    this.lastError = new ChunkVerificationError(`Chunk ${index} of ${this.swarm.key} from peer ${session.peerId} failed verification`)
    this.ctx.events.emit('chunk:invalid', { cid: this.swarm.manifest.root, index, peerId: session.peerId })
    if (session.badChunks >= this.ctx.config.maxBadChunks && !session.closed) {
      this.ctx.ban(session, `sent ${session.badChunks} chunks that failed verification`)
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
    if (this.running) {
      this.running = false
      this.ctx.downloadRunning(false)
    }
    for (const set of this.inflight.values()) {
      for (const entry of set) {
        entry.waiting?.abort()
        if (entry.request !== undefined) entry.session.cancel(entry.request, new AbortError('download finished'), true)
      }
    }
    this.inflight.clear()
    for (const session of this.peers.keys()) this.ctx.setInterest(this.swarm, session, false)
    this.peers.clear()
  }

  /** Times out slow requests and notices a download that has run out of peers. */
  private sweep (): void {
    if (this.finished) return
    const now = this.ctx.clock()
    let timedOut = false
    // Deleting entries of a Map or Set while iterating it is safe: they are just not visited.
    for (const set of this.inflight.values()) {
      for (const entry of set) {
        const request = entry.request
        if (request === undefined || request.deadline > now) continue
        timedOut = true
        entry.session.timeouts++
        entry.session.cancel(request, new TimeoutError('request timed out'), true)
        const peer = this.peers.get(entry.session)
        if (peer !== undefined) {
          peer.snubbed = true
          peer.failed.set(entry.index, now + this.ctx.config.requestTimeout)
        }
        this.lastError = new TimeoutError(`Peer ${entry.session.peerId} did not deliver chunk ${entry.index} within ${this.ctx.config.requestTimeout} ms`)
        this.ctx.events.emit('chunk:timeout', { cid: this.swarm.manifest.root, index: entry.index, peerId: entry.session.peerId })
        this.dropRequest(entry)
      }
    }
    if (timedOut) this.fillAll()
    if (this.inflight.size > 0 || this.storing.size > 0) {
      this.idleSince = undefined
      return
    }
    this.idleSince ??= now
    if (now - this.idleSince < Math.min(this.ctx.config.requestTimeout, 2000) * (this.redials + 1)) return
    if (this.redials < MAX_REDIALS) {
      this.redial()
      return
    }
    // Out of redials: wait only for peers that choked us recently (an unchoke may come), then fail.
    const chokeWait = 2 * this.ctx.config.optimisticUnchokeInterval
    const waitingForUnchoke = [...this.peers.keys()].some(s => s.peerChoking && !s.closed && now - s.chokedAt < chokeWait)
    if (!waitingForUnchoke) this.fail()
  }

  /** Tries the known addresses again; the idle clock restarts when the attempts settle. */
  private redial (): void {
    if (this.finished || this.redialing) return
    this.redials++
    this.redialing = true
    this.ctx.redial(this.swarm).finally(() => {
      this.redialing = false
      this.idleSince = this.ctx.clock()
      this.fillAll()
    })
  }

  private fail (): void {
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
