import { unrefTimeout } from '../util/timers.js'
import type { ContentId, Logger } from '@codio-chunk/interface'
import type { DiscoveryService } from './discovery-service.js'

/** Announcements in progress at once; the others wait their turn. */
export const ANNOUNCE_CONCURRENCY = 4
/** Re-announce each content after this share of the shortest announcement lifetime. */
const REANNOUNCE_AT = 0.75

/** What an {@link Announcer} needs. */
export interface AnnouncerInit {
  discovery: DiscoveryService
  /** The contents held completely when the node starts (announced first). */
  heldContents: () => Promise<ContentId[]>
  log: Logger
  /** Fires when the node stops. */
  stopSignal: AbortSignal
}

/**
 * Tells the discoveries about every content this node holds completely: those in storage when it
 * starts, those it publishes or finishes downloading later, and all of them again before their
 * announcements expire (at 3/4 of the shortest `reprovideInterval`). Announcements run a few at a
 * time; a failed one is logged and tried again at the next round.
 *
 * @example
 * ```ts
 * const announcer = new Announcer({ discovery, heldContents: async () => [], log, stopSignal })
 * await announcer.start()
 * announcer.add(cid)
 * ```
 */
export class Announcer {
  private readonly init: AnnouncerInit
  private readonly contents = new Map<string, ContentId>()
  private readonly queue: ContentId[] = []
  private readonly queued = new Set<string>()
  private active = 0
  private timer?: ReturnType<typeof setTimeout>
  private idleWaiters: Array<() => void> = []
  /** Announcements that succeeded on at least one discovery, since the node started. */
  announced = 0

  constructor (init: AnnouncerInit) {
    this.init = init
  }

  /** Announces every content held now, and starts the re-announce rounds. */
  async start (): Promise<void> {
    if (!this.init.discovery.enabled) return
    for (const cid of await this.init.heldContents()) this.add(cid)
    this.scheduleRound()
  }

  stop (): void {
    clearTimeout(this.timer)
    this.queue.length = 0
    this.queued.clear()
  }

  /** The contents announced (and re-announced). */
  get size (): number {
    return this.contents.size
  }

  /** Adds a content the node now holds completely and announces it soon. */
  add (cid: ContentId): void {
    if (!this.init.discovery.enabled || this.init.stopSignal.aborted) return
    this.contents.set(cid.toString(), cid)
    this.enqueue(cid)
  }

  /** Forgets a content (it is no longer held); it is not announced again. */
  remove (cid: ContentId): void {
    this.contents.delete(cid.toString())
  }

  /** Resolves when no announcement is queued or running (tests, the CLI's `serve` output). */
  async idle (): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return
    await new Promise<void>(resolve => { this.idleWaiters.push(resolve) })
  }

  /** The next re-announce round, after the interval the discoveries give now (a tracker learns its own from its first answer). */
  private scheduleRound (): void {
    if (this.init.stopSignal.aborted) return
    this.timer = unrefTimeout(() => {
      for (const cid of this.contents.values()) this.enqueue(cid)
      this.scheduleRound()
    }, this.init.discovery.reprovideInterval * REANNOUNCE_AT)
  }

  private enqueue (cid: ContentId): void {
    const key = cid.toString()
    if (this.queued.has(key)) return
    this.queued.add(key)
    this.queue.push(cid)
    this.pump()
  }

  private pump (): void {
    while (this.active < ANNOUNCE_CONCURRENCY && this.queue.length > 0 && !this.init.stopSignal.aborted) {
      const cid = this.queue.shift() as ContentId
      this.queued.delete(cid.toString())
      if (!this.contents.has(cid.toString())) continue
      this.active++
      this.init.discovery.provide(cid, { signal: this.init.stopSignal }).then((ok) => {
        if (ok > 0) this.announced++
      }, (err: Error) => {
        this.init.log('announcing %s failed: %s', cid.toString(), err.message)
      }).finally(() => {
        this.active--
        this.pump()
      })
    }
    if (this.active === 0 && (this.queue.length === 0 || this.init.stopSignal.aborted)) {
      for (const wake of this.idleWaiters.splice(0)) wake()
    }
  }
}
