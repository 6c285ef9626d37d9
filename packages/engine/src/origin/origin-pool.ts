import { InvalidConfigError, InvalidManifestError, NoProvidersError, abortError } from '@codio-chunk/interface'
import { OriginHttpError, OriginMisbehaviorError } from './errors.js'
import { Origin, MAX_FAILURE_STREAK, parseOrigins } from './origin.js'
import { fetchRawBlock } from './origin-client.js'
import type { CID } from 'multiformats/cid'
import type { ContentId, Logger } from '@codio-chunk/interface'
import type { FetchFunction } from './origin-client.js'
import type { OriginStat } from './origin.js'
import type { TypedEmitter } from '../events.js'
import type { DistributorEvents } from '../node/distributor-events.js'
import type { VerifyQueue } from '../download/verify-queue.js'
import type { Clock } from '../peers/rate-meter.js'

/** How a node uses its origins. Times in milliseconds. */
export interface OriginOptions {
  /**
   * How long the swarm has to deliver before an origin is asked: a manifest block no peer sent, a
   * chunk a streaming reader has waited for, chunks no peer has, a download that made no progress.
   * With no provider at all the origins are asked at once. Default 3000.
   */
  delay?: number
  /** Time for one origin request, redirects and body included. Default 15 000. */
  timeout?: number
  /** Requests in flight to one origin at once. Default 4. */
  maxRequests?: number
  /** The fetch function (default: the global one, undici on Node.js). */
  fetch?: FetchFunction
}

/** The defaults of {@link OriginOptions}. */
export const ORIGIN_DEFAULTS = Object.freeze({ delay: 3000, timeout: 15_000, maxRequests: 4 })

/** Bytes an origin's answer may have beyond the block's known size (a dag-pb leaf's wrapping). */
export const BLOCK_SLACK = 1024
/** How long an origin that answered 404 for a content is not asked for that content again. */
const MISSING_FOR = 30_000
/** Attempts at one manifest block over all origins before giving up on them. */
const BLOCK_ATTEMPTS = 6

/** What the node reports about its origins (`ChunkDistributor.originStats()`). */
export interface OriginStats {
  /** Each origin's figures. */
  origins: OriginStat[]
  /** Chunk bytes this node got from peers (verified) since it started. */
  peerBytes: number
  /** Chunk bytes it got from origins (verified). */
  originBytes: number
  /** Share of chunk bytes that came from peers: `peerBytes / (peerBytes + originBytes)`, 1 before anything came. */
  offload: number
}

/** What an {@link OriginPool} needs from the node. */
export interface OriginPoolInit {
  urls: readonly string[]
  options?: OriginOptions
  verify: VerifyQueue
  events: TypedEmitter<DistributorEvents>
  clock: Clock
  log: Logger
}

/**
 * The node's origins (HTTP trustless gateways it falls back to when the swarm does not deliver,
 * as BitTorrent clients fall back to web seeds): which one to ask next (fewest requests in flight
 * among those not banned, not backing off and not known to lack the content), at most
 * `maxRequests` requests in flight to each, what a failed request means (404: it lacks the content
 * for a while; 429/503: its `Retry-After`; other failures: a back-off doubling from 1 s to a
 * minute; misbehaviour: a ban for the node's life), and the figures `originStats()` reports.
 *
 * @example
 * ```ts
 * const pool = new OriginPool({ urls: ['http://127.0.0.1:8080'], verify, events, clock, log })
 * const block = await pool.fetchBlock(root, cid, { maxBytes: 1 << 20, signal }) // verified against cid
 * ```
 */
export class OriginPool {
  readonly origins: Origin[]
  readonly delay: number
  readonly timeout: number
  readonly maxRequests: number
  private readonly fetchFn?: FetchFunction
  private readonly init: OriginPoolInit
  private peerBytes = 0
  private originBytes = 0
  private readonly waiters = new Set<() => void>()

  constructor (init: OriginPoolInit) {
    this.init = init
    this.origins = parseOrigins(init.urls).map(url => new Origin(url))
    const options = init.options ?? {}
    if (options === null || typeof options !== 'object') throw new InvalidConfigError('originOptions must be an object')
    this.delay = checked('delay', options.delay, ORIGIN_DEFAULTS.delay, 0)
    this.timeout = checked('timeout', options.timeout, ORIGIN_DEFAULTS.timeout, 1)
    this.maxRequests = checked('maxRequests', options.maxRequests, ORIGIN_DEFAULTS.maxRequests, 1, 1024)
    if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new InvalidConfigError('originOptions.fetch must be a function')
    this.fetchFn = options.fetch
  }

  /** True if the node has origins. */
  get enabled (): boolean {
    return this.origins.length > 0
  }

  /** True if some origin may still supply blocks of `content`: not banned, not known to lack it, not failing again and again. */
  canSupply (content: string): boolean {
    const now = this.init.clock()
    return this.origins.some(o => o.banned === undefined && o.streak < MAX_FAILURE_STREAK && !o.lacks(content, now))
  }

  /** Request slots free now for `content`, over every origin that may be asked. */
  freeSlots (content: string): number {
    const now = this.init.clock()
    let free = 0
    for (const origin of this.origins) if (origin.mayAsk(content, now)) free += Math.max(0, this.maxRequests - origin.inflight)
    return free
  }

  /** Takes a request slot of the origin to ask now for `content` (fewest in flight first), or undefined. Give it back with {@link release}. */
  take (content: string): Origin | undefined {
    const now = this.init.clock()
    let best: Origin | undefined
    for (const origin of this.origins) {
      if (origin.inflight >= this.maxRequests || !origin.mayAsk(content, now)) continue
      if (best === undefined || origin.inflight < best.inflight) best = origin
    }
    if (best !== undefined) best.inflight++
    return best
  }

  /** Gives back a slot taken with {@link take}. */
  release (origin: Origin): void {
    origin.inflight--
    for (const wake of [...this.waiters]) wake()
  }

  /**
   * A slot for `content` as soon as one is free (see {@link take}); rejects with NoProvidersError
   * once no origin can supply it ({@link canSupply}), or AbortError.
   */
  async takeWhenFree (content: string, signal?: AbortSignal): Promise<Origin> {
    for (;;) {
      if (signal?.aborted === true) throw abortError(signal, 'origin request')
      const origin = this.take(content)
      if (origin !== undefined) return origin
      if (!this.canSupply(content)) throw new NoProvidersError(`No origin can supply ${content}: ${this.describe(content)}`)
      const now = this.init.clock()
      const soonest = Math.min(...this.origins.filter(o => o.banned === undefined).map(o => Math.max(o.retryAt - now, 0) || 250))
      await new Promise<void>(resolve => {
        const done = (): void => {
          clearTimeout(timer)
          this.waiters.delete(done)
          signal?.removeEventListener('abort', done)
          resolve()
        }
        const timer = setTimeout(done, Math.min(Math.max(soonest, 20), 5000))
        this.waiters.add(done)
        signal?.addEventListener('abort', done, { once: true })
      })
    }
  }

  /**
   * One request for block `cid` of `content` through `origin` (whose slot the caller holds):
   * resolves with its bytes, unverified. A failure is recorded on the origin (see the class) and
   * reported as an `origin:error` event before it is rethrown; misbehaviour bans the origin.
   */
  async request (origin: Origin, cid: CID, content: string, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    origin.requests++
    try {
      const bytes = await fetchRawBlock({ origin: origin.url, cid, maxBytes, timeout: this.timeout, signal, fetch: this.fetchFn })
      origin.succeeded()
      return bytes
    } catch (err) {
      if (signal?.aborted === true) throw err
      const now = this.init.clock()
      if (err instanceof OriginMisbehaviorError) {
        origin.failures++
        this.ban(origin, err.message)
      } else if (err instanceof OriginHttpError && (err.status === 404 || err.status === 410)) {
        origin.failures++
        origin.markMissing(content, now + MISSING_FOR)
      } else {
        origin.failed(now, err instanceof OriginHttpError ? err.retryAfter : undefined)
      }
      this.init.log('origin %s: %s', origin.url, (err as Error).message)
      this.init.events.emit('origin:error', { origin: origin.url, cid, error: err as Error })
      throw err
    }
  }

  /** Bans an origin for the rest of the node's life (once), logs why and emits `origin:banned`. */
  ban (origin: Origin, reason: string): void {
    if (origin.banned !== undefined) return
    origin.banned = reason
    this.init.log.error('origin %s banned for the rest of this run: %s', origin.url, reason)
    this.init.events.emit('origin:banned', { origin: origin.url, reason })
  }

  /**
   * Fetches one manifest block of `root` from the origins, verified against its CID and checked
   * with `check` (resolveManifest's UnixFS rules): an origin that sends bytes that do not match
   * or break the rules is banned. Tries the origins in turn (waiting for a free slot) and rejects
   * with NoProvidersError, naming what went wrong, once none can supply it.
   */
  async fetchBlock (root: ContentId, cid: CID, options: { maxBytes: number, check?: (bytes: Uint8Array) => void, signal?: AbortSignal }): Promise<Uint8Array> {
    const content = root.toString()
    const problems: string[] = []
    for (let attempt = 0; attempt < BLOCK_ATTEMPTS; attempt++) {
      const origin = await this.takeWhenFree(content, options.signal)
      let bytes: Uint8Array
      try {
        bytes = await this.request(origin, cid, content, options.maxBytes, options.signal)
      } catch (err) {
        if (options.signal?.aborted === true) throw abortError(options.signal, 'origin request')
        problems.push((err as Error).message)
        continue
      } finally {
        this.release(origin)
      }
      if (!await this.init.verify.verify(cid, bytes)) {
        this.ban(origin, `sent block ${cid.toString()} with bytes that do not match its CID`)
        problems.push(`${origin.url} sent a block that does not match its CID`)
        continue
      }
      try {
        options.check?.(bytes)
      } catch (err) {
        if (err instanceof InvalidManifestError) this.ban(origin, `sent block ${cid.toString()}, which breaks the UnixFS rules`)
        throw err
      }
      origin.blocks++
      origin.bytes += bytes.length
      this.init.events.emit('origin:block', { cid: root, block: cid, origin: origin.url, bytes: bytes.length })
      return bytes
    }
    throw new NoProvidersError(`No origin delivered block ${cid.toString()} of ${content} (${problems.join('; ')})`)
  }

  /** Counts a chunk an origin supplied (verified and stored). */
  countChunk (origin: Origin, bytes: number): void {
    origin.chunks++
    origin.bytes += bytes
    this.originBytes += bytes
  }

  /** Counts chunk bytes a peer supplied (verified and stored), for the offload figure. */
  countPeerBytes (bytes: number): void {
    this.peerBytes += bytes
  }

  stats (): OriginStats {
    const total = this.peerBytes + this.originBytes
    return { origins: this.origins.map(o => o.stat()), peerBytes: this.peerBytes, originBytes: this.originBytes, offload: total === 0 ? 1 : this.peerBytes / total }
  }

  /** One line on the state of every origin (for `content`), for error messages. */
  describe (content?: string): string {
    const now = this.init.clock()
    const state = (o: Origin): string => o.banned !== undefined
      ? `banned (${o.banned})`
      : content !== undefined && o.lacks(content, now)
        ? 'does not have it'
        : o.streak >= MAX_FAILURE_STREAK ? `failing (${o.streak} failures in a row)` : now < o.retryAt ? 'backing off' : 'usable'
    return this.origins.map(o => `${o.url} ${state(o)}`).join('; ')
  }
}

function checked (name: string, value: unknown, fallback: number, min: number, max = 24 * 3600_000): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidConfigError(`originOptions.${name} must be a number from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}
