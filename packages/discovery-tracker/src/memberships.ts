import type { AnnounceEvent } from './announce.js'

/** How this node is listed in one tracker's swarm of one info hash. */
export interface Membership {
  readonly infoHash: Uint8Array
  /** The port it was announced with (a tracker keys peers by address and port, or by peer id). */
  readonly port: number
  /** 0 as a seeder (provided), 1 as a node looking for providers. */
  readonly left: 0 | 1
}

/**
 * Most swarms a node stays listed in as a looker, per tracker. Past it, the oldest is forgotten
 * (not told `stopped`: the tracker drops it after its own timeout), so lookups of ever new
 * contents do not grow memory without bound. Seeder listings are bounded by what the node provides.
 */
export const MAX_LOOKUP_MEMBERSHIPS = 1024

/** Where this node is listed: per tracker, per info hash (hex). What `stop()` says `stopped` to. */
export class Memberships {
  private readonly byTracker = new Map<string, Map<string, Membership>>()

  /** The event an announce carries: `started` to join, `completed` from looker to seeder, none to refresh. */
  eventFor (tracker: string, key: string, left: 0 | 1, port: number): AnnounceEvent | undefined {
    const current = this.byTracker.get(tracker)?.get(key)
    if (current === undefined || current.port !== port) return 'started'
    if (current.left === 1 && left === 0) return 'completed'
    return undefined
  }

  /** Records a listing the tracker accepted. */
  joined (tracker: string, key: string, membership: Membership): void {
    let swarms = this.byTracker.get(tracker)
    if (swarms === undefined) {
      swarms = new Map()
      this.byTracker.set(tracker, swarms)
    }
    swarms.delete(key)
    swarms.set(key, membership)
    if (swarms.size <= MAX_LOOKUP_MEMBERSHIPS) return
    let lookers = 0
    for (const m of swarms.values()) if (m.left === 1) lookers++
    if (lookers <= MAX_LOOKUP_MEMBERSHIPS) return
    for (const [oldest, m] of swarms) {
      if (m.left === 1) {
        swarms.delete(oldest)
        return
      }
    }
  }

  /** Forgets a listing (after `stopped`). */
  left (tracker: string, key: string): void {
    this.byTracker.get(tracker)?.delete(key)
  }

  /** Every listing, for `stop()`. */
  all (): Array<{ tracker: string, key: string, membership: Membership }> {
    const out: Array<{ tracker: string, key: string, membership: Membership }> = []
    for (const [tracker, swarms] of this.byTracker) {
      for (const [key, membership] of swarms) out.push({ tracker, key, membership })
    }
    return out
  }

  clear (): void {
    this.byTracker.clear()
  }
}
