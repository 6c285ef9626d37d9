/**
 * The choker: decides which peers this node uploads to ({@link decideUnchokes}).
 */

/** The kind of upload slot a peer holds. */
export type UploadSlot = 'regular' | 'optimistic'

/** One connected peer as the choker sees it. Rates are bytes per second, times clock milliseconds. */
export interface ChokerPeer {
  /** Unique among the peers of one decision (the peer id). */
  readonly id: string
  /** The peer is interested in at least one content we hold. */
  readonly interested: boolean
  /** Bytes per second the peer sends us, over the last few seconds. */
  readonly downloadRate: number
  /** Bytes per second we send the peer, over the last few seconds (how fast it takes data). */
  readonly uploadRate: number
  /** Payload bytes the peer has sent us since it connected. */
  readonly bytesReceived: number
  /** Payload bytes we have sent the peer since it connected. */
  readonly bytesSent: number
  /** When the peer connected. */
  readonly connectedAt: number
  /** The slot the peer holds since the previous decision, if any. */
  readonly slot?: UploadSlot
  /** When the peer got the regular slot it holds (used with `slot: 'regular'`). */
  readonly slotSince?: number
  /** When the peer last held a slot; undefined if it never has. */
  readonly lastServedAt?: number
  /** The peer sent us nothing for `snubTimeout` while we were interested in it. */
  readonly snubbed: boolean
  /**
   * The peer has had a chance to pay us back and did not: it refused or let time out a request of
   * ours, left one unanswered, or kept us choked while we wanted its chunks (the engine takes this
   * from `PeerSession.withholds`). It stays true once the episode is over: otherwise a peer that
   * never pays back would win regular slots back each time it holds nothing new for us. Being
   * interested in a peer is not enough: in a swarm with a fast seeder most peers are never asked
   * for anything, and holding them to the ratio took their spare slots (the Quick start demo's
   * seeder uploaded 1.5 to 4 copies for 4 peers instead of about 1.5).
   */
  readonly withheld?: boolean
}

/** The settings the choker uses (a {@link ChunkConfig} has them all). */
export interface ChokerOptions {
  /** Regular upload slots. */
  readonly uploadSlots: number
  /** Ratio (received / sent) at or above which a peer is preferred. */
  readonly minUploadRatio: number
  /** How long the optimistic slot stays with one peer. */
  readonly optimisticUnchokeInterval: number
  /** Time between full rechokes (a seeding node's turns are counted in them). */
  readonly rechokeInterval: number
}

/** Everything one decision depends on. */
export interface ChokerInput {
  /** Every connected peer. Their order only matters for reproducing random draws. */
  readonly peers: readonly ChokerPeer[]
  /** True when this node downloads nothing (it only seeds). */
  readonly seeding: boolean
  /** The clock time now. */
  readonly now: number
  /** Random numbers in [0, 1), e.g. `createRandom(seed)`. */
  readonly random: () => number
  readonly options: ChokerOptions
  /** When the current optimistic slot holder got it. */
  readonly optimisticSince?: number
  /** `'rechoke'` re-ranks every peer; `'update'` keeps current holders and fills free slots. */
  readonly mode: 'rechoke' | 'update'
}

/** The choker's answer. */
export interface ChokerDecision {
  /** Peers holding a regular slot, best first. */
  readonly regular: string[]
  /** The peer holding the optimistic slot, if any peer is eligible. */
  readonly optimistic?: string
  /** When the optimistic holder got the slot (kept from the input while it keeps it). */
  readonly optimisticSince?: number
  /** Every peer to leave unchoked: slot holders and peers that are not interested. */
  readonly unchoked: Set<string>
}

/** Bytes we may send a peer before the ratio rule looks at it (one default chunk). */
export const RATIO_GRACE_BYTES = 256 * 1024
/** How much likelier a newly connected peer is to get the optimistic slot. */
export const NEW_PEER_WEIGHT = 3
/**
 * A downloading node gives no regular slot to a peer it wants chunks from, has sent at least
 * {@link RATIO_GRACE_BYTES} and got back less than `minUploadRatio / REFUSAL_DIVISOR` times that.
 */
export const REFUSAL_DIVISOR = 4
/**
 * How much less likely a peer that refuses to reciprocate is to get the optimistic slot than one
 * that does not; after holding it, such a peer also waits this many intervals less one before it
 * may hold it again (the slot may stay vacant meanwhile), so it holds it at most this share of the time.
 */
export const REFUSER_OPTIMISTIC_DIVISOR = 5
/** Rechoke periods a seeding node's regular slot stays with one peer while others wait. */
export const SEED_TURN_RECHOKES = 3

/**
 * True if the peer's ratio does not hold it back: we sent it less than {@link RATIO_GRACE_BYTES}
 * (no traffic yet is never penalised), or it sent us at least `minUploadRatio` times what we sent it.
 *
 * @example
 * ```ts
 * import { meetsRatio } from '@codio-chunk/core'
 * const base = { id: 'p', interested: true, downloadRate: 0, uploadRate: 0, connectedAt: 0, snubbed: false }
 * meetsRatio({ ...base, bytesReceived: 0, bytesSent: 0 }, 0.8)                  // true: no traffic yet
 * meetsRatio({ ...base, bytesReceived: 1 << 20, bytesSent: 4 << 20 }, 0.8)      // false: 0.25
 * ```
 */
export function meetsRatio (peer: ChokerPeer, minUploadRatio: number): boolean {
  return peer.bytesSent < RATIO_GRACE_BYTES || peer.bytesReceived >= peer.bytesSent * minUploadRatio
}

/**
 * True if the peer could pay us back and does not: it has withheld chunks we asked for or kept us
 * choked while we wanted them ({@link ChokerPeer.withheld}), we sent it at least
 * {@link RATIO_GRACE_BYTES}, and it sent us less than `minUploadRatio / REFUSAL_DIVISOR` times what
 * we sent it. A downloading node gives such a peer no regular slot, not even a spare one, only the
 * optimistic slot. A peer that never kept us from anything is not held to this (it still ranks below
 * peers meeting the ratio). The upload manager checks this on every chunk it serves, so a regular
 * slot is lost the moment the line is crossed, not at the next rechoke.
 *
 * @example
 * ```ts
 * import { refusesToReciprocate } from '@codio-chunk/core'
 * const base = { id: 'p', interested: true, downloadRate: 0, uploadRate: 0, connectedAt: 0, snubbed: false, withheld: true }
 * refusesToReciprocate({ ...base, bytesReceived: 0, bytesSent: 4 << 20 }, 0.8)                   // true
 * refusesToReciprocate({ ...base, withheld: false, bytesReceived: 0, bytesSent: 4 << 20 }, 0.8)  // false
 * ```
 */
export function refusesToReciprocate (peer: Pick<ChokerPeer, 'withheld' | 'bytesSent' | 'bytesReceived'>, minUploadRatio: number): boolean {
  return peer.withheld === true && peer.bytesSent >= RATIO_GRACE_BYTES && peer.bytesReceived * REFUSAL_DIVISOR < peer.bytesSent * minUploadRatio
}

/**
 * The slot a peer that just became interested may take at once, between rechokes: a free
 * regular slot (unless it snubs us), else the optimistic slot if it is vacant, else none (the
 * peer is choked until a rechoke gives it one). A peer that refuses to reciprocate
 * ({@link refusesToReciprocate}) takes nothing at once: it waits for the optimistic slot's draw. Free slots are only ever left free when nobody
 * eligible waits for them, so this gives the same answer a full decision would.
 *
 * @example
 * ```ts
 * import { slotForNewcomer } from '@codio-chunk/core'
 * slotForNewcomer({ regularHeld: 1, optimisticHeld: false, uploadSlots: 4, snubbed: false })  // 'regular'
 * slotForNewcomer({ regularHeld: 4, optimisticHeld: true, uploadSlots: 4, snubbed: false })   // undefined
 * ```
 */
export function slotForNewcomer (state: { regularHeld: number, optimisticHeld: boolean, uploadSlots: number, snubbed: boolean, refuses?: boolean }): UploadSlot | undefined {
  if (state.refuses === true) return undefined
  if (!state.snubbed && state.regularHeld < state.uploadSlots) return 'regular'
  if (!state.optimisticHeld) return 'optimistic'
  return undefined
}

/**
 * Decides which peers this node uploads to: pure and deterministic (the clock time
 * and a seeded random source are inputs), so its decisions can be pinned by tests; the engine's
 * upload manager feeds it a table of peers and applies the result on the wire.
 *
 * The rules, BitTorrent's tit-for-tat:
 * 1. **Only interested peers take slots.** A peer that is not interested in anything we hold
 *    requests nothing, so leaving it unchoked costs nothing: such peers are always unchoked, and
 *    one that becomes interested is served at once if a slot is free (see {@link slotForNewcomer}),
 *    or choked until it wins one.
 * 2. **Regular slots** (`uploadSlots`, default 4). A downloading node gives them to the peers
 *    that sent it the most data recently (the rolling rate, not lifetime totals), preferring
 *    peers whose ratio (bytes they sent us / bytes we sent them, lifetime) is at least
 *    `minUploadRatio`: those come first, each group by rate, so a peer below the ratio gets a
 *    slot only when too few peers meet it. Peers we have sent less than
 *    {@link RATIO_GRACE_BYTES} to (new peers, no traffic yet) count as meeting it. A seeding node (nothing to download) keeps the peers it
 *    serves, fastest takers first, but hands a slot on once its holder has had it for
 *    {@link SEED_TURN_RECHOKES} rechoke periods (or takes nothing for a whole period) while
 *    others wait; waiting peers take turns, the one served least recently first (the optimistic
 *    holder counts as served now).
 * 3. **Ties keep incumbents.** Between peers that rank equal, the one already holding a regular
 *    slot stays ahead, so the set does not flap; remaining ties are broken at random.
 * 4. **Snubbed peers** (nothing received for `snubTimeout` while we are interested) get no
 *    regular slot, only the optimistic one; nor, while this node downloads, do peers that refuse
 *    to reciprocate (they withheld chunks we asked for and sent us a small fraction of what we sent them,
 *    {@link refusesToReciprocate}), even when fewer peers than slots are interested.
 * 5. **One optimistic slot**, given to an interested peer without a regular slot at random and
 *    rotated every `optimisticUnchokeInterval`; peers connected less than one interval ago are
 *    {@link NEW_PEER_WEIGHT} times as likely to get it, so newcomers get their first chunks, and
 *    while this node downloads, peers that refuse to reciprocate {@link REFUSER_OPTIMISTIC_DIVISOR}
 *    times less likely (the slot is for finding peers that pay back).
 *    When its holder leaves, loses interest or wins a regular slot, it goes to another peer.
 *
 * A full rechoke (`mode: 'rechoke'`, every `rechokeInterval`) re-ranks everyone; an update
 * (`mode: 'update'`, after a peer left or lost interest) keeps the current holders and only
 * fills free slots, so events do not reshuffle the set between rechokes.
 *
 * Cost: O(peers log peers) per decision, nothing per chunk.
 *
 * @example
 * ```ts
 * import { decideUnchokes, createRandom } from '@codio-chunk/core'
 * const peer = (id: string, downloadRate: number) => ({
 *   id, interested: true, downloadRate, uploadRate: 0, bytesReceived: 0, bytesSent: 0, connectedAt: 0, snubbed: false
 * })
 * const decision = decideUnchokes({
 *   peers: [peer('a', 100), peer('b', 900), peer('c', 500)],
 *   seeding: false,
 *   now: 60_000,
 *   random: createRandom(1),
 *   mode: 'rechoke',
 *   options: { uploadSlots: 2, minUploadRatio: 0.8, optimisticUnchokeInterval: 30_000, rechokeInterval: 10_000 }
 * })
 * decision.regular      // ['b', 'c']: the fastest uploaders to us
 * decision.optimistic   // 'a': the only one left
 * ```
 */
export function decideUnchokes (input: ChokerInput): ChokerDecision {
  const { peers, now, random, options } = input
  // One random key per peer breaks the ties left after every rule.
  const tie = new Map<ChokerPeer, number>()
  for (const peer of peers) tie.set(peer, random())
  const { minUploadRatio } = options
  const eligible = peers.filter(p => p.interested && !p.snubbed && (input.seeding || !refusesToReciprocate(p, minUploadRatio)))
  const regular = input.mode === 'update'
    ? fillFreeSlots(input, eligible, tie)
    : rank(input, eligible, tie).slice(0, options.uploadSlots)
  const regularIds = new Set(regular.map(p => p.id))
  const { optimistic, since } = pickOptimistic(input, regularIds)
  const unchoked = new Set(regularIds)
  if (optimistic !== undefined) unchoked.add(optimistic.id)
  for (const peer of peers) if (!peer.interested) unchoked.add(peer.id)
  return { regular: [...regularIds], optimistic: optimistic?.id, optimisticSince: since, unchoked }
}

/** Update mode: holders still eligible (interested, not snubbing) keep their slots; free ones go by rank. */
function fillFreeSlots (input: ChokerInput, eligible: ChokerPeer[], tie: Map<ChokerPeer, number>): ChokerPeer[] {
  const kept: ChokerPeer[] = []
  const waiting: ChokerPeer[] = []
  for (const peer of eligible) (peer.slot === 'regular' ? kept : waiting).push(peer)
  const free = input.options.uploadSlots - kept.length
  if (free <= 0) return rank(input, kept, tie).slice(0, input.options.uploadSlots)
  return [...rank(input, kept, tie), ...rank(input, waiting, tie).slice(0, free)]
}

/** Sorts peers for regular slots, best first. */
function rank (input: ChokerInput, peers: ChokerPeer[], tie: Map<ChokerPeer, number>): ChokerPeer[] {
  const incumbent = (p: ChokerPeer): number => p.slot === 'regular' ? 1 : 0
  if (!input.seeding) {
    const { minUploadRatio } = input.options
    const ratio = new Map(peers.map(p => [p, meetsRatio(p, minUploadRatio) ? 1 : 0]))
    return peers.sort((a, b) =>
      (ratio.get(b) as number) - (ratio.get(a) as number) ||
      b.downloadRate - a.downloadRate ||
      incumbent(b) - incumbent(a) ||
      (tie.get(a) as number) - (tie.get(b) as number))
  }
  const group = seedGroups(input, peers)
  return peers.sort((a, b) => {
    const ga = group.get(a) as number
    const gb = group.get(b) as number
    if (ga !== gb) return ga - gb
    // Waiting peers take turns: the one served least recently first.
    if (ga === WAITING) return servedAt(input, a) - servedAt(input, b) || (tie.get(a) as number) - (tie.get(b) as number)
    return b.uploadRate - a.uploadRate || (tie.get(a) as number) - (tie.get(b) as number)
  })
}

/** When a peer was last served; the optimistic holder is being served now. */
function servedAt (input: ChokerInput, peer: ChokerPeer): number {
  if (peer.slot === 'optimistic') return input.now
  return peer.lastServedAt ?? Number.NEGATIVE_INFINITY
}

/** Seeding groups: holders whose turn goes on, then waiting peers, then holders whose turn is over. */
const HOLDING = 0
const WAITING = 1
const TURN_OVER = 2

function seedGroups (input: ChokerInput, peers: ChokerPeer[]): Map<ChokerPeer, number> {
  const { now, options } = input
  const someoneWaits = peers.some(p => p.slot !== 'regular')
  const turn = SEED_TURN_RECHOKES * options.rechokeInterval
  const group = new Map<ChokerPeer, number>()
  for (const peer of peers) {
    if (peer.slot !== 'regular') {
      group.set(peer, WAITING)
      continue
    }
    const held = now - (peer.slotSince ?? now)
    const over = someoneWaits && input.mode === 'rechoke' && (held >= turn || (peer.uploadRate === 0 && held >= options.rechokeInterval))
    group.set(peer, over ? TURN_OVER : HOLDING)
  }
  return group
}

/** Keeps, rotates or fills the optimistic slot. */
function pickOptimistic (input: ChokerInput, regular: Set<string>): { optimistic?: ChokerPeer, since?: number } {
  const { peers, now, random, options } = input
  const candidates = peers.filter(p => p.interested && !regular.has(p.id))
  const current = candidates.find(p => p.slot === 'optimistic')
  if (current !== undefined && input.optimisticSince !== undefined && now - input.optimisticSince < options.optimisticUnchokeInterval) {
    return { optimistic: current, since: input.optimisticSince }
  }
  // Rotate: another peer if there is one. While we download, a peer that refuses to pay back
  // waits REFUSER_OPTIMISTIC_DIVISOR - 1 intervals after a turn, even if the slot stays vacant.
  const rests = (p: ChokerPeer): boolean => !input.seeding && refusesToReciprocate(p, options.minUploadRatio) &&
    now - servedAt(input, p) < (REFUSER_OPTIMISTIC_DIVISOR - 1) * options.optimisticUnchokeInterval
  const open = candidates.filter(p => !rests(p))
  const pool = open.length > 1 && current !== undefined ? open.filter(p => p !== current) : open
  if (pool.length === 0) return {}
  // New peers are likelier to get it; while we download, peers proven not to pay back less likely.
  const weight = (p: ChokerPeer): number => (now - p.connectedAt < options.optimisticUnchokeInterval ? NEW_PEER_WEIGHT : 1) /
    (!input.seeding && refusesToReciprocate(p, options.minUploadRatio) ? REFUSER_OPTIMISTIC_DIVISOR : 1)
  let total = 0
  for (const peer of pool) total += weight(peer)
  let draw = random() * total
  for (const peer of pool) {
    draw -= weight(peer)
    if (draw < 0) return { optimistic: peer, since: now }
  }
  return { optimistic: pool[pool.length - 1], since: now }
}
