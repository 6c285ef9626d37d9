import { Bitfield } from '@codio-chunk/interface'
import { IndexedChunkSet } from '@codio-chunk/pieces'
import type { PeerHoldings } from '@codio-chunk/pieces'

/** Default {@link SuperSeedPlannerOptions.pendingPerPeer}. */
export const SUPER_SEED_PENDING_PER_PEER = 2
/** Default {@link SuperSeedPlannerOptions.unspreadPerPeer}. */
export const SUPER_SEED_UNSPREAD_PER_PEER = 4
/** Default {@link SuperSeedPlannerOptions.stallTimeout}, in milliseconds. */
export const SUPER_SEED_STALL_TIMEOUT = 2000

/** Settings of a {@link SuperSeedPlanner}. */
export interface SuperSeedPlannerOptions {
  /** Chunks in the content. */
  chunkCount: number
  /** Chunks revealed to one peer and not yet sent to it, at most. Default 2. */
  pendingPerPeer?: number
  /**
   * Chunks sent to one peer that no other peer has been seen with yet, at most: past this the peer
   * gets nothing new until one of them spreads (or it stalls). Default 4.
   */
  unspreadPerPeer?: number
  /**
   * Milliseconds a peer that still lacks chunks may wait without a reveal before it counts as not
   * sharing (it then gets chunks without waiting for them to spread); and, once every chunk is
   * revealed, how long without a chunk sent before super-seeding ends. Default 2000.
   */
  stallTimeout?: number
  /** The time in milliseconds. */
  clock: () => number
  /** Random numbers in [0, 1) (seeded in tests). */
  random: () => number
}

/** Tells `peer` that the seeder has chunk `index` (a `have` on the wire). */
export interface Reveal<P> {
  readonly peer: P
  readonly index: number
}

/** What the planner keeps per peer. */
interface PeerPlan<P> {
  readonly key: P
  readonly holdings: PeerHoldings
  /** Chunks revealed to this peer (it owns them) that have not been sent to it yet. */
  readonly pending: Set<number>
  /** Chunks sent to this peer (it owns them) that no other peer has been seen with yet. */
  readonly unspread: Set<number>
  lastRevealAt: number
  /** False once its chunks stopped spreading for `stallTimeout`: it gets chunks as fast as it fetches them. */
  sharing: boolean
}

const NOTHING: readonly never[] = Object.freeze([])

/**
 * The reveal logic of super-seeding, pure (clock and random are injected) so it can be tested
 * without a network. A super-seeder advertises to each peer only chunks it reveals to that peer
 * alone: a chunk nobody has yet, chosen at random. A peer gets up to `pendingPerPeer` such chunks
 * to request at a time, and up to `unspreadPerPeer` it has received but not yet passed on; it gets
 * the next one when a chunk it received is seen at another peer (a `have` or a bitfield), so the
 * seeder's upload goes to peers that share and each chunk is uploaded about once.
 *
 * Nobody starves: a peer alone in the swarm (or whose chunks nobody else lacks) has its chunks
 * count as spread at once; a peer whose chunks stop spreading for `stallTimeout` (it cannot reach
 * the others, or will not upload) gets chunks as fast as it fetches them from then on; and
 * super-seeding ends ({@link ended}) when every chunk has been sent (or seen at a peer) at least
 * once, or when every chunk is revealed and nothing was sent for `stallTimeout`. The seeder then
 * advertises everything, as a plain seeder.
 *
 * Costs: O(1) per event, O(peers) to check whether a sent chunk is already everywhere, O(chunks
 * the peer has) when a peer joins or leaves; memory O(chunks) bits plus O(peers × budgets).
 *
 * @example
 * ```ts
 * import { PeerHoldings, SuperSeedPlanner, createRandom } from '@codio-chunk/core'
 * let now = 0
 * const planner = new SuperSeedPlanner<string>({ chunkCount: 8, clock: () => now, random: createRandom(1) })
 * const a = new PeerHoldings(8)
 * const b = new PeerHoldings(8)
 * const first = planner.peerJoined('a', a).map(r => r.index)  // two chunks only 'a' is told about
 * planner.peerJoined('b', b)                    // two others, for 'b' alone
 * planner.mayServe('a', first[0])               // true; 'b' may not have it from the seeder
 * planner.served('a', first[0])                 // sent to 'a': one more is revealed to 'a'
 * a.add(first[0]); b.add(first[0])
 * planner.peerHas('b', first[0])                // seen at 'b': it spread, 'a' may get more
 * planner.ended                                 // false until every chunk was sent once
 * ```
 */
export class SuperSeedPlanner<P> {
  /** Chunks in the content. */
  readonly chunkCount: number
  private readonly pendingPerPeer: number
  private readonly unspreadPerPeer: number
  private readonly stallTimeout: number
  private readonly clock: () => number
  private readonly random: () => number
  /** Chunks never revealed and not known to be held by any peer. */
  private readonly pool: IndexedChunkSet
  /** Chunks sent by the seeder, or seen at a peer, at least once. */
  private readonly present: Bitfield
  /** Chunks revealed to one peer and not yet seen anywhere else: who owns them. */
  private readonly owners = new Map<number, PeerPlan<P>>()
  private readonly peers = new Map<P, PeerPlan<P>>()
  private lastSentAt: number
  private isEnded = false

  constructor (options: SuperSeedPlannerOptions) {
    const { chunkCount } = options
    if (!Number.isSafeInteger(chunkCount) || chunkCount < 0 || chunkCount > 0x7fffffff) {
      throw new RangeError(`Chunk count must be an integer in 0..2^31-1, got ${chunkCount}`)
    }
    this.chunkCount = chunkCount
    this.pendingPerPeer = positive(options.pendingPerPeer ?? SUPER_SEED_PENDING_PER_PEER, 'pendingPerPeer')
    this.unspreadPerPeer = positive(options.unspreadPerPeer ?? SUPER_SEED_UNSPREAD_PER_PEER, 'unspreadPerPeer')
    this.stallTimeout = positive(options.stallTimeout ?? SUPER_SEED_STALL_TIMEOUT, 'stallTimeout')
    this.clock = options.clock
    this.random = options.random
    this.pool = new IndexedChunkSet(chunkCount, 'full')
    this.present = new Bitfield(chunkCount)
    this.lastSentAt = this.clock()
    this.isEnded = chunkCount === 0
  }

  /** True once super-seeding is over: the seeder should advertise every chunk to everyone. */
  get ended (): boolean { return this.isEnded }

  /** Chunks sent or seen at a peer at least once. */
  get presentCount (): number { return this.present.count }

  /** Chunks not revealed to anyone yet. */
  get unrevealedCount (): number { return this.pool.size }

  /** Peers the planner knows. */
  get peerCount (): number { return this.peers.size }

  /**
   * A peer joined the swarm with `holdings` (kept up to date by the caller as haves arrive).
   * Returns reveals to send: those for `peer` itself belong in the bitfield sent to it, the others
   * (peers whose chunks it already has, so they spread) are `have` messages.
   */
  peerJoined (peer: P, holdings: PeerHoldings): ReadonlyArray<Reveal<P>> {
    const previous = this.peers.get(peer)
    if (previous !== undefined) this.forget(previous)
    if (this.isEnded) return NOTHING
    const plan: PeerPlan<P> = { key: peer, holdings, pending: new Set(), unspread: new Set(), lastRevealAt: this.clock(), sharing: true }
    this.peers.set(peer, plan)
    const woken: Array<PeerPlan<P>> = [plan]
    for (let i = holdings.nextHeld(0); i !== -1; i = holdings.nextHeld(i + 1)) this.seen(plan, i, woken)
    return this.afterEvent(woken)
  }

  /**
   * A peer sent a new bitfield (`holdings` updated in place): everything it holds counts as seen.
   * Returns reveals to send.
   */
  peerUpdated (peer: P): ReadonlyArray<Reveal<P>> {
    const plan = this.peers.get(peer)
    if (plan === undefined || this.isEnded) return NOTHING
    const woken: Array<PeerPlan<P>> = [plan]
    for (let i = plan.holdings.nextHeld(0); i !== -1; i = plan.holdings.nextHeld(i + 1)) this.seen(plan, i, woken)
    return this.afterEvent(woken)
  }

  /** A peer announced chunk `index` (a `have`). Returns reveals to send. */
  peerHas (peer: P, index: number): ReadonlyArray<Reveal<P>> {
    const plan = this.peers.get(peer)
    if (plan === undefined || this.isEnded || (index >>> 0) !== index || index >= this.chunkCount) return NOTHING
    const woken: Array<PeerPlan<P>> = []
    this.seen(plan, index, woken)
    return this.afterEvent(woken)
  }

  /** True if the seeder may send chunk `index` to `peer`: it was revealed to that peer. */
  mayServe (peer: P, index: number): boolean {
    if (this.isEnded) return true
    return this.owners.get(index)?.key === peer
  }

  /** The seeder sent chunk `index` to `peer`. Returns reveals to send. */
  served (peer: P, index: number): ReadonlyArray<Reveal<P>> {
    if (this.isEnded || (index >>> 0) !== index || index >= this.chunkCount) return NOTHING
    this.lastSentAt = this.clock()
    this.markPresent(index)
    const plan = this.peers.get(peer)
    const woken: Array<PeerPlan<P>> = []
    if (plan !== undefined && this.owners.get(index) === plan && plan.pending.delete(index)) {
      if (plan.sharing && this.lackedByOthers(plan, index)) plan.unspread.add(index)
      else this.owners.delete(index)
      woken.push(plan)
    }
    return this.afterEvent(woken)
  }

  /** A peer left: chunks revealed to it and held nowhere else go back to be revealed to others. */
  peerLeft (peer: P): ReadonlyArray<Reveal<P>> {
    const plan = this.peers.get(peer)
    if (plan === undefined) return NOTHING
    this.forget(plan)
    if (this.isEnded) return NOTHING
    // Others may have been waiting for chunks to reveal.
    return this.afterEvent([...this.peers.values()])
  }

  /**
   * Checks for stalls (call it every few hundred milliseconds). A peer that lacks chunks, has
   * fetched everything revealed to it and got no reveal for `stallTimeout` (its chunks are not
   * spreading: it cannot, or does not, pass them on) is no longer held to the unspread budget: it
   * gets new chunks as fast as it fetches them, so it never starves. Once every chunk is revealed,
   * `stallTimeout` without a chunk sent ends super-seeding. Returns reveals to send.
   */
  tick (): ReadonlyArray<Reveal<P>> {
    if (this.isEnded) return NOTHING
    const now = this.clock()
    if (this.pool.size === 0) {
      if (now - this.lastSentAt >= this.stallTimeout) this.isEnded = true
      return NOTHING
    }
    const out: Array<Reveal<P>> = []
    for (const plan of this.peers.values()) {
      if (!plan.sharing || plan.pending.size > 0 || plan.holdings.complete || now - plan.lastRevealAt < this.stallTimeout) continue
      plan.sharing = false
      // Its chunks were sent once; others will have them from the seeder when super-seeding ends.
      for (const index of plan.unspread) this.owners.delete(index)
      plan.unspread.clear()
      out.push(...this.fill(plan))
    }
    return out
  }

  /** Ends super-seeding now (e.g. the node is asked to). */
  end (): void {
    this.isEnded = true
  }

  /** Records that `by` holds `index`; owners whose chunk spread are added to `woken`. */
  private seen (by: PeerPlan<P>, index: number, woken: Array<PeerPlan<P>>): void {
    if (this.pool.delete(index)) {
      // Held without the seeder's help (another seeder): nothing to reveal.
      this.markPresent(index)
      return
    }
    const owner = this.owners.get(index)
    if (owner === undefined) return
    if (owner === by) {
      // Its owner has it. Normally we sent it (see `served`); if it got it some other way, it
      // now waits to spread like a chunk we sent.
      if (!owner.pending.delete(index)) return
      this.markPresent(index)
      if (this.lackedByOthers(owner, index)) owner.unspread.add(index)
      else this.owners.delete(index)
      woken.push(owner)
      return
    }
    // Seen at a peer other than the one it was revealed to: it spread.
    this.owners.delete(index)
    owner.pending.delete(index)
    owner.unspread.delete(index)
    this.markPresent(index)
    woken.push(owner)
  }

  private afterEvent (woken: Array<PeerPlan<P>>): ReadonlyArray<Reveal<P>> {
    this.checkEnd()
    if (this.isEnded || woken.length === 0) return NOTHING
    if (woken.length === 1) return this.fill(woken[0])
    const out: Array<Reveal<P>> = []
    for (const plan of woken) out.push(...this.fill(plan))
    return out
  }

  /** Reveals chunks to `plan` up to its budgets (a peer that does not share has no unspread budget). */
  private fill (plan: PeerPlan<P>): Array<Reveal<P>> {
    const out: Array<Reveal<P>> = []
    if (!this.peers.has(plan.key) || plan.holdings.complete) return out
    while (this.pool.size > 0 && plan.pending.size < this.pendingPerPeer && (!plan.sharing || plan.unspread.size < this.unspreadPerPeer)) {
      const index = this.pool.sample(this.random)
      this.pool.delete(index)
      if (plan.holdings.has(index)) {
        // It has it already (it got it elsewhere and we missed the have): not ours to send.
        this.markPresent(index)
        continue
      }
      this.owners.set(index, plan)
      plan.pending.add(index)
      out.push({ peer: plan.key, index })
    }
    if (out.length > 0) plan.lastRevealAt = this.clock()
    return out
  }

  /** True if some peer other than `plan` lacks `index` (so `plan` can pass it on). O(peers). */
  private lackedByOthers (plan: PeerPlan<P>, index: number): boolean {
    for (const other of this.peers.values()) {
      if (other !== plan && !other.holdings.has(index)) return true
    }
    return false
  }

  private forget (plan: PeerPlan<P>): void {
    this.peers.delete(plan.key)
    for (const index of plan.pending) this.release(index)
    for (const index of plan.unspread) {
      // Sent to it only: nobody else has it now.
      this.present.set(index, false)
      this.release(index)
    }
  }

  private release (index: number): void {
    this.owners.delete(index)
    if (!this.present.get(index)) this.pool.add(index)
  }

  private markPresent (index: number): void {
    this.present.set(index)
    this.checkEnd()
  }

  private checkEnd (): void {
    if (!this.isEnded && this.present.count === this.chunkCount) this.isEnded = true
  }
}

function positive (value: number, name: string): number {
  if (typeof value !== 'number' || !(value > 0)) throw new RangeError(`${name} must be a positive number, got ${String(value)}`)
  return value
}
