import { unrefTimeout } from '../util/timers.js'
import type { ContentId, Logger, ProviderRecord } from '@codio-chunk/interface'
import type { DiscoveryService } from './discovery-service.js'
import type { PeerSession } from '../peers/peer-session.js'
import type { SearchProgress } from '../download/peer-download.js'

/** Discovered providers dialled at once by one download. */
export const SEARCH_DIALS = 8
/** Discovered addresses waiting for a dial; more are dropped until the queue drains. */
export const MAX_DIAL_QUEUE = 64
/** Addresses one download remembers having tried (so a later lookup does not dial them again). */
const MAX_TRIED = 4096
/** Lookups a download makes before it gives up on finding a first provider. */
export const LOOKUPS_BEFORE_GIVING_UP = 3
/** Pauses between lookups while the swarm stays small: short at first, then a minute. */
const ROUND_GAPS = [1000, 3000, 10_000, 30_000, 60_000]
/** Failures kept to explain a search that found nobody. */
const FAILURES_KEPT = 8

/** What a {@link ProviderSearch} needs from the node and its download. */
export interface ProviderSearchInit {
  discovery: DiscoveryService
  root: ContentId
  /** Dials a provider (the node's peer manager). */
  dial: (address: string, signal: AbortSignal) => Promise<PeerSession>
  /** True if some transport handles the address and nothing there was banned. */
  canDial: (address: string) => boolean
  /** True if the record's peer is connected (or banned) already. */
  known: (record: ProviderRecord) => boolean
  /** True while the download wants more peers: the search then keeps looking. */
  wantMore: () => boolean
  /** A discovered provider connected. */
  connected: (session: PeerSession, address: string) => void
  /** Aborts lookups and dials: the download ended. */
  signal: AbortSignal
  log: Logger
}

/**
 * Finds providers of one content through the node's discoveries while its download runs, and
 * dials each as soon as it is found (a few at a time), not after the lookup ends. It looks again
 * after 1 s, 3 s, 10 s, 30 s and then every minute for as long as the swarm is small, and at once
 * when the download runs dry (`again`). It never holds a download up: providers given explicitly
 * are dialled beside it.
 *
 * @example
 * ```ts
 * const search = new ProviderSearch({ discovery, root, dial, canDial, known, wantMore, connected, signal, log })
 * search.start()
 * ```
 */
export class ProviderSearch {
  private readonly init: ProviderSearchInit
  private readonly queue: string[] = []
  private readonly tried = new Set<string>()
  private readonly watchers = new Set<(connected?: PeerSession) => void>()
  private dialing = 0
  private looking = false
  private timer?: ReturnType<typeof setTimeout>
  /** Pauses taken so far (the next one is longer). */
  private pauses = 0
  /** Lookups finished. */
  rounds = 0
  /** Records found, over every lookup. */
  found = 0
  /** Discovered providers connected. */
  connections = 0
  /** Why recent dials failed, for the error of a search that found nobody. */
  readonly failures: string[] = []

  constructor (init: ProviderSearchInit) {
    this.init = init
    init.signal.addEventListener('abort', () => { this.stop() }, { once: true })
  }

  /** True while a lookup runs or a dial is queued or in flight. */
  get busy (): boolean {
    return this.looking || this.dialing > 0 || this.queue.length > 0
  }

  /** True while more providers may still turn up soon: a lookup or dial runs, or one of the first lookups is still to come. */
  get moreMayCome (): boolean {
    return !this.init.signal.aborted && (this.busy || this.rounds < LOOKUPS_BEFORE_GIVING_UP)
  }

  /** True once the first lookups ended with nobody connected and nothing left to try. */
  get exhausted (): boolean {
    return this.connections === 0 && this.rounds >= LOOKUPS_BEFORE_GIVING_UP && !this.busy
  }

  /**
   * Calls `watcher` whenever a lookup ends or a dial settles (with the session, when a provider
   * connected); returns a function that stops it.
   */
  watch (watcher: (connected?: PeerSession) => void): () => void {
    this.watchers.add(watcher)
    return () => { this.watchers.delete(watcher) }
  }

  start (): void {
    void this.lookup()
  }

  /** Looks again now (the swarm ran dry), unless a lookup is running. */
  again (): void {
    if (this.looking || this.init.signal.aborted) return
    clearTimeout(this.timer)
    void this.lookup()
  }

  stop (): void {
    clearTimeout(this.timer)
    this.queue.length = 0
    this.notify()
  }

  progress (): SearchProgress {
    return { lookups: this.rounds, found: this.found, connected: this.connections, dialing: this.dialing }
  }

  /** A one-line account for errors and logs. */
  describe (): string {
    const failed = this.failures.length > 0 ? `; ${this.failures.join('; ')}` : ''
    return `${this.rounds} lookup(s) found ${this.found} provider record(s), ${this.connections} connected${failed}`
  }

  private async lookup (): Promise<void> {
    if (this.looking || this.init.signal.aborted) return
    this.looking = true
    try {
      for await (const record of this.init.discovery.findProviders(this.init.root, { signal: this.init.signal })) {
        this.found++
        if (this.init.known(record)) continue
        const address = record.addresses.find(a => !this.tried.has(a) && this.init.canDial(a))
        if (address === undefined) continue
        this.enqueue(address)
      }
    } catch (err) {
      this.init.log('provider lookup for %s failed: %s', this.init.root.toString(), (err as Error).message)
    } finally {
      this.looking = false
      this.rounds++
      this.scheduleNext()
      this.notify()
    }
  }

  private scheduleNext (): void {
    if (this.init.signal.aborted) return
    const gap = ROUND_GAPS[Math.min(this.pauses++, ROUND_GAPS.length - 1)]
    this.timer = unrefTimeout(() => {
      if (this.init.wantMore()) void this.lookup()
      else this.scheduleNext()
    }, gap)
  }

  private enqueue (address: string): void {
    if (this.queue.length >= MAX_DIAL_QUEUE) return
    if (this.tried.size >= MAX_TRIED) this.tried.clear()
    this.tried.add(address)
    this.queue.push(address)
    this.pump()
  }

  private pump (): void {
    while (this.dialing < SEARCH_DIALS && this.queue.length > 0 && !this.init.signal.aborted) {
      const address = this.queue.shift() as string
      this.dialing++
      let connected: PeerSession | undefined
      this.init.dial(address, this.init.signal).then((session) => {
        this.connections++
        connected = session
        this.init.connected(session, address)
      }, (err: Error) => {
        if (this.failures.length >= FAILURES_KEPT) this.failures.shift()
        this.failures.push(`${address}: ${err.message}`)
        this.init.log('discovered provider %s could not be reached: %s', address, err.message)
      }).finally(() => {
        this.dialing--
        this.pump()
        this.notify(connected)
      })
    }
  }

  private notify (connected?: PeerSession): void {
    for (const watcher of [...this.watchers]) watcher(connected)
  }
}
