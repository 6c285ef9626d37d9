import { Origin } from './origin.js'
import { BLOCK_SLACK } from './origin-pool.js'
import { unrefInterval } from '../util/timers.js'
import type { Bitfield, Manifest } from '@codio-chunk/interface'
import type { ChunkAvailability } from '@codio-chunk/pieces'
import type { OriginPool } from './origin-pool.js'
import type { EngineServices } from '../node/services.js'
import type { ContentSwarm } from '../swarm/swarm.js'
import type { ChunkIntake } from '../download/chunk-intake.js'

/** Origin requests one download has in flight at most (besides each origin's own bound). */
export const MAX_ORIGIN_FETCHES = 8
/** Chunks after a waiting reader's position an origin is asked for along with it. */
const READ_AHEAD = 4

/** What an {@link OriginFallback} sees of its download and does through it. */
export interface OriginFallbackHost {
  /** The content: its manifest, the chunks stored, its readers. */
  readonly swarm: Pick<ContentSwarm, 'manifest' | 'have' | 'readers'>
  readonly availability: ChunkAvailability
  /** The download's playback position. */
  position(): number
  /** Swarm members (peers that sent their chunk map). */
  swarmPeers(): number
  /** Peers connected to the node at all; none and no member means no provider at all. */
  connectedPeers(): number
  /** The download's verification and storage: an origin's block goes through it as a peer's. */
  readonly intake: Pick<ChunkIntake, 'isPending' | 'full' | 'accept'>
  /** A chunk the origin had taken is a candidate again: peers may be asked for it. */
  released(): void
}

/** What a download reports about its origins (`DownloadProgress.origin`). */
export interface OriginProgress {
  /** Chunk bytes fetched from origins in this download. */
  bytes: number
  /** Chunks fetched from origins in this download. */
  chunks: number
  /** Share of the chunk bytes fetched in this download that came from peers (1 before anything came). */
  offload: number
}

/**
 * Falls back to the node's origins for one download's chunks, so that peers come first and the
 * origins' egress stays low, while nothing waits on an absent or stalled swarm for long:
 * 1. a streaming reader that has waited `delay` for its next chunk gets it (and a few after it)
 *    from an origin;
 * 2. chunks no swarm member has are asked of origins once the swarm has had `delay` to say what
 *    it holds;
 * 3. when no chunk came from peers for `delay` (or the node has no peer at all, at once), every
 *    missing chunk from the playback position on, requested from peers or not.
 * A chunk asked of an origin is taken out of the peers' candidates while the request runs and put
 * back if it fails; its block goes through the download's verification exactly as a peer's, and a
 * bad one bans the origin. Requests are bounded ({@link MAX_ORIGIN_FETCHES} per download, the
 * pool's per origin) and charged to the node's download limiter.
 *
 * @example
 * ```ts
 * const fallback = new OriginFallback(ctx, pool, host)
 * fallback.start()
 * fallback.stored(index, source, bytes) // a chunk was stored (from a peer or an origin)
 * fallback.stop()                      // the download ended
 * ```
 */
export class OriginFallback {
  private readonly fetching = new Map<number, { controller: AbortController, marked: boolean, bytes: number }>()
  /** Since when each reader has been waiting for its next chunk. */
  private readonly waitingSince = new Map<number, number>()
  private readonly key: string
  private readonly manifest: Manifest
  private readonly have: Bitfield
  private startedAt = 0
  private lastPeerChunk = 0
  private timer?: ReturnType<typeof setInterval>
  private stopped = false
  private bytes = 0
  private chunks = 0
  private peerBytes = 0

  constructor (
    private readonly ctx: Pick<EngineServices, 'clock' | 'downloadLimiter' | 'events' | 'log'>,
    private readonly pool: OriginPool,
    private readonly host: OriginFallbackHost
  ) {
    this.manifest = host.swarm.manifest
    this.have = host.swarm.have
    this.key = this.manifest.root.toString()
  }

  /** The download started: watch it. */
  start (): void {
    if (this.stopped) return
    this.startedAt = this.lastPeerChunk = this.ctx.clock()
    this.timer = unrefInterval(() => { this.tick() }, Math.max(20, Math.min(250, this.pool.delay / 4)))
    this.tick()
  }

  /** The download ended: requests in flight are aborted. */
  stop (): void {
    this.stopped = true
    clearInterval(this.timer)
    for (const { controller } of this.fetching.values()) controller.abort()
    this.fetching.clear()
  }

  /** Chunk `index` was verified and stored, from `origin` (undefined: from a peer). */
  stored (index: number, origin: Origin | undefined, bytes: number): void {
    this.waitingSince.delete(index)
    this.fetching.get(index)?.controller.abort()
    if (origin === undefined) {
      this.peerBytes += bytes
      this.lastPeerChunk = this.ctx.clock()
      this.pool.countPeerBytes(bytes)
      return
    }
    this.bytes += bytes
    this.chunks++
    this.pool.countChunk(origin, bytes)
    this.ctx.events.emit('origin:chunk', { cid: this.manifest.root, index, origin: origin.url, bytes })
  }

  /** Chunk `index` from `origin` failed verification: the origin is banned (the download puts the chunk back). */
  rejected (index: number, origin: Origin): void {
    this.pool.ban(origin, `sent chunk ${index} of ${this.key} with bytes that do not match its CID`)
  }

  /** True if some origin may still supply this content (the download should not give up). */
  canSupply (): boolean {
    return !this.stopped && this.pool.canSupply(this.key)
  }

  progress (): OriginProgress {
    const total = this.peerBytes + this.bytes
    return { bytes: this.bytes, chunks: this.chunks, offload: total === 0 ? 1 : this.peerBytes / total }
  }

  /** Picks chunks for free origin slots (see the class). */
  tick (): void {
    if (this.stopped || this.host.intake.full) return
    let budget = Math.min(this.pool.freeSlots(this.key), MAX_ORIGIN_FETCHES - this.fetching.size)
    if (budget <= 0) return
    const now = this.ctx.clock()
    const { delay } = this.pool
    const noProvider = this.host.swarmPeers() === 0 && this.host.connectedPeers() === 0
    const stalled = noProvider || now - this.lastPeerChunk >= delay
    const picks: number[] = []
    const pick = (index: number): boolean => {
      if (this.have.get(index) || this.fetching.has(index) || this.host.intake.isPending(index) || picks.includes(index)) return false
      picks.push(index)
      return --budget > 0
    }
    // 1. Readers that have waited too long for their next chunk.
    const waiting = new Set(this.host.swarm.readers?.waiting() ?? [])
    for (const index of this.waitingSince.keys()) if (!waiting.has(index)) this.waitingSince.delete(index)
    for (const index of waiting) {
      if (budget <= 0) break
      if (this.have.get(index)) continue
      const since = this.waitingSince.get(index) ?? now
      this.waitingSince.set(index, since)
      if (!stalled && now - since < delay) continue
      if (!pick(index)) continue
      const end = Math.min(index + READ_AHEAD, this.manifest.chunkCount - 1)
      for (let i = this.host.availability.candidates.nextFrom(index + 1); i !== -1 && i <= end; i = this.host.availability.candidates.nextFrom(i + 1)) {
        if (!pick(i)) break
      }
    }
    // 2. Chunks no swarm member has, once the swarm had time to say what it holds.
    if (budget > 0 && (noProvider || now - this.startedAt >= delay)) this.scan(this.host.availability.bucket(0), pick)
    // 3. A stalled download: anything missing, from the position on.
    if (budget > 0 && stalled) this.scanMissing(pick)
    for (const index of picks) if (!this.launch(index)) break
  }

  /** Offers `pick` the members of `set` from the position on, then from the start. */
  private scan (set: { nextFrom: (from: number) => number }, pick: (index: number) => boolean): void {
    const from = this.host.position()
    for (let i = set.nextFrom(from); i !== -1; i = set.nextFrom(i + 1)) if (!pick(i)) return
    for (let i = set.nextFrom(0); i !== -1 && i < from; i = set.nextFrom(i + 1)) if (!pick(i)) return
  }

  /** Offers `pick` the chunks not stored, from the position on, then from the start. */
  private scanMissing (pick: (index: number) => boolean): void {
    const have = this.have
    this.scan({ nextFrom: (from) => from >= have.length ? -1 : have.nextClear(from) }, pick)
  }

  /** Asks an origin for chunk `index`; false when no origin slot or limiter tokens are left now. */
  private launch (index: number): boolean {
    const origin = this.pool.take(this.key)
    if (origin === undefined) return false
    const length = this.manifest.chunkLength(index)
    if (!this.ctx.downloadLimiter.tryTake(length)) {
      this.pool.release(origin)
      return false
    }
    const controller = new AbortController()
    const entry = { controller, marked: this.host.availability.markRequested(index), bytes: length }
    this.fetching.set(index, entry)
    const cid = this.manifest.chunkCid(index)
    this.pool.request(origin, cid, this.key, length + BLOCK_SLACK, controller.signal).then((block) => {
      this.settle(index, entry, origin)
      if (this.stopped || this.have.get(index) || this.host.intake.isPending(index)) return
      this.host.intake.accept(index, origin, block)
    }, () => {
      this.settle(index, entry, origin)
      this.ctx.downloadLimiter.refund(length)
      this.putBack(index, entry.marked)
    }).finally(() => { this.tick() })
    return true
  }

  private settle (index: number, entry: { marked: boolean }, origin: Origin): void {
    if (this.fetching.get(index) === entry) this.fetching.delete(index)
    this.pool.release(origin)
  }

  /** A chunk the origin had taken out of the candidates goes back, unless it is done or on its way. */
  private putBack (index: number, marked: boolean): void {
    if (!marked || this.stopped) return
    const { availability } = this.host
    if (!availability.isCompleted(index) && !this.host.intake.isPending(index) && availability.markReleased(index)) this.host.released()
  }
}

/** True if a chunk came from an origin rather than a peer. */
export function isOrigin (source: unknown): source is Origin {
  return source instanceof Origin
}
