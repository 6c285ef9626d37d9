import { Bitfield } from '@codio-chunk/interface'
import { SuperSeedPlanner, type Reveal, type SuperSeedPlannerOptions } from './super-seed-planner.js'
import type { Logger } from '@codio-chunk/interface'
import type { PeerHoldings } from '@codio-chunk/pieces'
import type { PeerSession } from '../peers/peer-session.js'
import { unrefInterval } from '../util/timers.js'
import type { ContentSwarm, SwarmSuperSeed } from './swarm.js'

/** How often a super-seeder looks for stalled peers, in milliseconds (at most; less for short stall timeouts). */
const TICK_INTERVAL = 250

/** What a {@link SuperSeeder} reports. */
export interface SuperSeederEvents {
  /** Super-seeding of `swarm` ended, just before every peer is sent the full bitfield. */
  ended(swarm: ContentSwarm): void
}

/** What a {@link SuperSeeder} needs besides its swarm. */
export interface SuperSeederInit extends Omit<SuperSeedPlannerOptions, 'chunkCount'> {
  log: Logger
  events: SuperSeederEvents
}

/**
 * Super-seeds one complete content ({@link SuperSeedPlanner} decides, this puts it on the wire):
 * each peer's bitfield from us carries only the chunks revealed to it, further reveals go out as
 * `have`, chunk requests for chunks not revealed to the requester are rejected as NotFound (we
 * said we do not have them), and when super-seeding ends every peer gets our full bitfield, which
 * replaces the partial one. Peers need nothing special: to them this is a peer that is still
 * downloading.
 *
 * A periodic, unref'd timer looks for stalled peers while the content has peers, until
 * super-seeding ends or {@link stop}.
 *
 * @example
 * ```ts
 * const superSeed = new SuperSeeder(swarm, { clock: Date.now, random: Math.random, log, events: { ended: () => uploads.rechoke() } })
 * swarm.superSeed = superSeed
 * const bits = superSeed.peerJoined(session, holdings)   // the bitfield to send this peer
 * superSeed.peerHas(session, 7)                           // its have: maybe reveals more to others
 * ```
 */
export class SuperSeeder implements SwarmSuperSeed {
  readonly swarm: ContentSwarm
  private readonly planner: SuperSeedPlanner<PeerSession>
  private readonly init: SuperSeederInit
  private timer?: ReturnType<typeof setInterval>
  private finished = false

  constructor (swarm: ContentSwarm, init: SuperSeederInit) {
    this.swarm = swarm
    this.init = init
    this.planner = new SuperSeedPlanner<PeerSession>({ ...init, chunkCount: swarm.manifest.chunkCount })
  }

  /** True while super-seeding runs (false once it ended or was stopped). */
  get active (): boolean { return !this.finished }

  /** A peer joined the swarm: returns the bitfield to send it (only the chunks revealed to it). */
  peerJoined (session: PeerSession, holdings: PeerHoldings): Bitfield {
    const reveals = this.planner.peerJoined(session, holdings)
    this.startTimer()
    const bits = new Bitfield(this.swarm.manifest.chunkCount)
    const others: Array<Reveal<PeerSession>> = []
    for (const reveal of reveals) {
      if (reveal.peer === session) bits.set(reveal.index)
      else others.push(reveal)
    }
    this.apply(others)
    // Ended by what this peer holds: everyone (this peer too) gets the full map.
    return this.finished ? this.swarm.have : bits
  }

  /** A member sent a new bitfield (its holdings were updated in place). */
  peerUpdated (session: PeerSession): void {
    this.apply(this.planner.peerUpdated(session))
  }

  /** A member announced chunk `index`. */
  peerHas (session: PeerSession, index: number): void {
    this.apply(this.planner.peerHas(session, index))
  }

  /** A member left the swarm. */
  peerLeft (session: PeerSession): void {
    this.apply(this.planner.peerLeft(session))
    if (this.planner.peerCount === 0) this.stopTimer()
  }

  /** True if chunk `index` was revealed to `session` (or super-seeding is over). */
  mayServe (session: PeerSession, index: number): boolean {
    return this.finished || this.planner.mayServe(session, index)
  }

  /** Chunk `index` was sent to `session`. */
  served (session: PeerSession, index: number): void {
    if (!this.finished) this.apply(this.planner.served(session, index))
  }

  /** Stops the timer without touching the wire (the node is stopping). */
  stop (): void {
    this.finished = true
    this.stopTimer()
  }

  /** Runs the stall checks while the content has peers (no timer for a content nobody fetches). */
  private startTimer (): void {
    if (this.finished || this.timer !== undefined) return
    const every = Math.max(20, Math.min(TICK_INTERVAL, (this.init.stallTimeout ?? TICK_INTERVAL * 4) / 4))
    this.timer = unrefInterval(() => { this.apply(this.planner.tick()) }, every)
  }

  private stopTimer (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private apply (reveals: ReadonlyArray<Reveal<PeerSession>>): void {
    if (this.finished) return
    for (const { peer, index } of reveals) {
      if (!peer.closed) peer.send({ type: 'have', content: this.swarm.root, index })
    }
    if (this.planner.ended) this.end()
  }

  /**
   * Super-seeding is over: choking resumes first (so peers that lose their slot hear `choke`
   * before they could ask for more), then every member gets the full bitfield, which replaces
   * the partial one.
   */
  private end (): void {
    this.stop()
    const { swarm } = this
    this.init.log('super-seeding of %s ended: %d of %d chunks sent or seen at a peer', swarm.key, this.planner.presentCount, swarm.manifest.chunkCount)
    if (swarm.superSeed === this) swarm.superSeed = undefined
    this.init.events.ended(swarm)
    const bits = swarm.have.toBytes()
    for (const session of swarm.peers.keys()) {
      if (session.closed) continue
      swarm.bitfieldSentTo.add(session)
      session.send({ type: 'bitfield', content: swarm.root, chunkCount: swarm.manifest.chunkCount, bits })
    }
  }
}
