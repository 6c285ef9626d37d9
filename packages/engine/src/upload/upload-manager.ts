import { decideUnchokes, refusesToReciprocate, slotForNewcomer, type ChokerPeer, type UploadSlot } from './choker.js'
import type { ChunkConfig } from '../config.js'
import type { Logger } from '@codio-chunk/interface'
import type { Clock } from '../peers/rate-meter.js'
import type { PeerSession } from '../peers/peer-session.js'
import { nextTurn, unrefInterval, type Scheduled } from '../util/timers.js'

/**
 * What the refusal rule reads of a peer: bytes both ways and whether it withheld chunks from us,
 * with waits and chokes of a rechoke interval counting (no rates).
 */
function ledger (session: PeerSession, now: number, config: ChunkConfig): Pick<ChokerPeer, 'withheld' | 'bytesSent' | 'bytesReceived'> {
  return { withheld: session.withholds(now, config.rechokeInterval), bytesSent: session.bytesSent, bytesReceived: session.bytesReceived }
}

/** What an {@link UploadManager} tells the node. */
export interface UploadManagerEvents {
  /** The peer was just choked (`choke` sent): its chunk requests not answered yet are to be rejected. */
  choked(session: PeerSession): void
}

/** What an {@link UploadManager} is made of. */
export interface UploadManagerInit {
  /** Slots, intervals and the ratio (`uploadSlots`, `rechokeInterval`, `snubTimeout`, …). */
  config: ChunkConfig
  clock: Clock
  /** Random numbers in [0, 1) for the choker's draws (seeded in tests). */
  random: () => number
  log: Logger
  events: UploadManagerEvents
}

/** What the upload manager remembers about one peer. */
interface PeerSlotState {
  readonly connectedAt: number
  /** Interest as last seen (any content). */
  interested: boolean
  slot?: UploadSlot
  slotSince?: number
  lastServedAt?: number
}

/**
 * Drives the choker ({@link decideUnchokes}) for a node: a full rechoke every `rechokeInterval`
 * (an unref'd timer, cleared by `stop()`), and immediate decisions when they matter: a peer that
 * becomes interested takes a free slot at once (or is choked if none is free), and a slot freed
 * by a peer that leaves or loses interest is refilled on the next event-loop turn (several
 * events in one turn cost one decision). Choke and unchoke are sent only on change. While the
 * node is open to all ({@link setOpenToAll}: super-seeding), nobody is choked. It ranks peers as
 * a seeder while the node downloads nothing ({@link setSeeding}).
 *
 * @example
 * ```ts
 * const uploads = new UploadManager({
 *   config: ChunkConfig.default(), clock: systemClock, random: createRandom(1), log: silentLogger,
 *   events: { choked: (session) => uploader.rejectChoked(session) }
 * })
 * uploads.start()
 * uploads.peerConnected(session)           // unchoked: it is not interested yet
 * uploads.addInterest(session, cid.toString())   // takes a free slot, or is choked
 * uploads.stop()
 * ```
 */
export class UploadManager {
  private readonly init: UploadManagerInit
  private readonly peers = new Map<PeerSession, PeerSlotState>()
  private regularCount = 0
  private optimistic?: PeerSession
  private optimisticSince?: number
  private timer?: ReturnType<typeof setInterval>
  private pending?: Scheduled
  private stopped = false
  /** The node downloads nothing: peers are ranked as a seeder ranks them. */
  private seeding = true
  /** Nobody is choked (super-seeding). */
  private openToAll = false

  constructor (init: UploadManagerInit) {
    this.init = init
  }

  /** Starts the periodic rechoke. */
  start (): void {
    if (this.stopped || this.timer !== undefined) return
    this.timer = unrefInterval(() => { this.rechoke() }, this.init.config.rechokeInterval)
  }

  /** Stops the timers; no decision is made afterwards. */
  stop (): void {
    this.stopped = true
    clearInterval(this.timer)
    this.pending?.cancel()
    this.pending = undefined
  }

  /** Whether the node downloads nothing (it then ranks peers by what it uploads to them). Takes effect at the next decision. */
  setSeeding (seeding: boolean): void {
    this.seeding = seeding
  }

  /**
   * Whether every peer stays unchoked: a super-seeding node rations its upload by what it reveals
   * to each peer, and a choked peer could not fetch the chunks revealed to it. Slots are still
   * assigned as usual, so choking resumes from a sensible state when this turns off: the peers
   * are re-ranked at once, so those that lose their slot hear `choke` before anything else.
   */
  setOpenToAll (open: boolean): void {
    if (this.openToAll === open) return
    this.openToAll = open
    if (open) this.schedule()
    else this.rechoke()
  }

  /** A peer finished the handshake. It is not interested yet, so it is unchoked. */
  peerConnected (session: PeerSession): void {
    if (this.stopped || this.peers.has(session)) return
    this.peers.set(session, { connectedAt: this.init.clock(), interested: false })
    this.setChoking(session, false)
    if (session.peerInterested) this.interestChanged(session)
  }

  /** A peer disconnected: its slot is refilled. */
  peerGone (session: PeerSession): void {
    const state = this.peers.get(session)
    if (state === undefined) return
    this.peers.delete(session)
    if (state.slot !== undefined) {
      this.release(session, state)
      this.schedule()
    }
  }

  /** The peer is interested in content `key` (an `interested` message, or a chunk request). */
  addInterest (session: PeerSession, key: string): void {
    if (session.addPeerInterest(key)) this.interestChanged(session)
  }

  /** The peer is no longer interested in content `key`. */
  removeInterest (session: PeerSession, key: string): void {
    if (session.removePeerInterest(key)) this.interestChanged(session)
  }

  /** Acts when the peer's overall interest flips. */
  private interestChanged (session: PeerSession): void {
    const state = this.peers.get(session)
    if (state === undefined || this.stopped || session.closed) return
    const interested = session.peerInterested
    if (interested === state.interested) return
    state.interested = interested
    if (!interested) {
      // It requests nothing now: its slot goes to someone else and it costs nothing unchoked.
      if (state.slot !== undefined) {
        this.release(session, state)
        this.schedule()
      }
      this.setChoking(session, false)
      return
    }
    if (state.slot !== undefined) {
      this.setChoking(session, false)
      return
    }
    const { config, clock } = this.init
    const now = clock()
    const slot = slotForNewcomer({
      regularHeld: this.regularCount,
      optimisticHeld: this.optimistic !== undefined,
      uploadSlots: config.uploadSlots,
      snubbed: session.isSnubbing(now, config.snubTimeout),
      refuses: !this.seeding && refusesToReciprocate(ledger(session, now, config), config.minUploadRatio)
    })
    if (slot !== undefined) this.assign(session, state, slot, now)
    this.setChoking(session, slot === undefined && !this.openToAll)
  }

  /**
   * A chunk was sent to the peer. While this node downloads, a peer holding a regular slot that
   * has just crossed the refusal line ({@link refusesToReciprocate}: it has withheld chunks we asked
   * for and has paid back under a quarter of the ratio) loses the slot at once, not at the next rechoke:
   * it is choked (its queued requests are rejected) and the slot goes to someone else.
   */
  chunkServed (session: PeerSession): void {
    const state = this.peers.get(session)
    if (state?.slot !== 'regular' || this.seeding || this.stopped || session.closed) return
    const { config, clock } = this.init
    if (!refusesToReciprocate(ledger(session, clock(), config), config.minUploadRatio)) return
    this.release(session, state)
    this.setChoking(session, !this.openToAll)
    this.schedule()
  }

  /** Re-ranks every peer now (the periodic round). */
  rechoke (): void {
    this.decide('rechoke')
  }

  /** The slot a peer holds, if any. */
  slotOf (session: PeerSession): UploadSlot | undefined {
    return this.peers.get(session)?.slot
  }

  /** True if the peer snubs us (see `PeerSession.isSnubbing`). */
  isSnubbing (session: PeerSession): boolean {
    return session.isSnubbing(this.init.clock(), this.init.config.snubTimeout)
  }

  /** Sends choke or unchoke if the state changes; choking rejects the peer's unanswered chunk requests. */
  private setChoking (session: PeerSession, choking: boolean): void {
    if (session.setChoking(choking) && choking) this.init.events.choked(session)
  }

  private schedule (): void {
    if (this.stopped || this.pending !== undefined) return
    this.pending = nextTurn(() => {
      this.pending = undefined
      this.decide('update')
    })
  }

  private decide (mode: 'rechoke' | 'update'): void {
    if (this.stopped) return
    const { config, clock, random } = this.init
    const now = clock()
    const records: ChokerPeer[] = []
    const byId = new Map<string, PeerSession>()
    for (const [session, state] of this.peers) {
      if (session.closed) continue
      byId.set(session.peerId, session)
      records.push(this.record(session, state, now))
    }
    const decision = decideUnchokes({
      peers: records,
      seeding: this.seeding,
      now,
      random,
      options: config,
      optimisticSince: this.optimisticSince,
      mode
    })
    const regular = new Set(decision.regular)
    this.regularCount = 0
    this.optimistic = undefined
    this.optimisticSince = decision.optimisticSince
    for (const [id, session] of byId) {
      const state = this.peers.get(session) as PeerSlotState
      const slot: UploadSlot | undefined = regular.has(id) ? 'regular' : decision.optimistic === id ? 'optimistic' : undefined
      if (slot === 'regular' && state.slot !== 'regular') state.slotSince = now
      if (slot !== 'regular') state.slotSince = undefined
      if (slot !== undefined || state.slot !== undefined) state.lastServedAt = now
      state.slot = slot
      if (slot === 'regular') this.regularCount++
      if (slot === 'optimistic') this.optimistic = session
    }
    for (const [id, session] of byId) this.setChoking(session, !this.openToAll && !decision.unchoked.has(id))
    this.init.log('%s: %d regular, optimistic %s', mode, this.regularCount, decision.optimistic ?? 'none')
  }

  /** The choker's view of one peer. */
  private record (session: PeerSession, state: PeerSlotState, now: number): ChokerPeer {
    return {
      id: session.peerId,
      interested: state.interested,
      downloadRate: session.receiveRate(),
      uploadRate: session.sendRate(),
      connectedAt: state.connectedAt,
      slot: state.slot,
      slotSince: state.slotSince,
      lastServedAt: state.lastServedAt,
      snubbed: session.isSnubbing(now, this.init.config.snubTimeout),
      ...ledger(session, now, this.init.config)
    }
  }

  private assign (session: PeerSession, state: PeerSlotState, slot: UploadSlot, now: number): void {
    state.slot = slot
    state.lastServedAt = now
    if (slot === 'regular') {
      state.slotSince = now
      this.regularCount++
    } else {
      this.optimistic = session
      this.optimisticSince = now
    }
  }

  private release (session: PeerSession, state: PeerSlotState): void {
    state.lastServedAt = this.init.clock()
    if (state.slot === 'regular') this.regularCount--
    if (this.optimistic === session) this.optimistic = undefined
    state.slot = undefined
    state.slotSince = undefined
  }
}
