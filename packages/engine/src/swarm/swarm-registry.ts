import { Bitfield, ContentId, GoodbyeCode, ProtocolError } from '@codio-chunk/interface'
import { PeerHoldings } from '@codio-chunk/pieces'
import { ContentSwarm } from './swarm.js'
import { SuperSeeder } from './super-seeder.js'
import type { BitfieldMessage, HaveMessage, Logger, Manifest, PeersMessage, Storage } from '@codio-chunk/interface'
import type { CID } from 'multiformats/cid'
import type { Clock } from '../peers/rate-meter.js'
import type { PeerSession } from '../peers/peer-session.js'
import type { PeerManager } from '../peers/peer-manager.js'

/** Most addresses sent or accepted in one peer-exchange message. */
const MAX_PEX_ADDRESSES = 32
/** Known addresses kept per content, as a multiple of `maxPeersPerContent`. */
const MAX_KNOWN_PER_PEER_SLOT = 4
/** Listen addresses remembered from one peer's hello. */
const ADDRESSES_PER_PEER = 2
/** Availability messages of one peer that may wait behind a bitfield whose swarm is loading. */
const MAX_QUEUED_AVAILABILITY = 4096

interface AvailabilityQueue {
  tail: Promise<void>
  length: number
}

/** What a {@link SwarmRegistry} reports to the engine. */
export interface SwarmRegistryEvents {
  /** Peer exchange named an address for a content being downloaded, and the swarm wants more peers. */
  addressLearned(swarm: ContentSwarm, address: string): void
  /** Some content started being super-seeded (true), or the last one ended (false). */
  superSeedingChanged(active: boolean): void
}

/** How contents complete when registered are super-seeded (`superSeed` in the config). */
export interface SuperSeedSettings {
  clock: Clock
  /** Random numbers in [0, 1) for the planner's draws. */
  random: () => number
  log: Logger
}

/** What a {@link SwarmRegistry} is made of. */
export interface SwarmRegistryInit {
  storage: Storage
  /** Our listen addresses and the ones our peers announce (for peer exchange). */
  peers: Pick<PeerManager, 'addresses'>
  log: Logger
  /** Most peers connected for one content (`maxPeersPerContent`). */
  maxPeersPerContent: number
  /** Super-seed every content complete when it is registered (published, or loaded from storage). Unset: never. */
  superSeed?: SuperSeedSettings
  events: SwarmRegistryEvents
}

/**
 * The swarms of every content this node holds or downloads: loads them from storage on demand,
 * handles the availability messages (bitfield, have, peers), announces our own chunks, and feeds
 * a super-seeded content's peers to its super-seeder.
 */
export class SwarmRegistry {
  readonly swarms = new Map<string, ContentSwarm>()
  private readonly loading = new Map<string, Promise<ContentSwarm | undefined>>()
  /** Per peer, the swarms it is a member of (it sent a bitfield and holds something). */
  private readonly memberships = new WeakMap<PeerSession, Set<ContentSwarm>>()
  /** Per peer, its availability messages still waiting for a swarm to load (see `receive`). */
  private readonly queues = new WeakMap<PeerSession, AvailabilityQueue>()
  private readonly storage: Storage
  private readonly peers: SwarmRegistryInit['peers']
  private readonly log: Logger
  private readonly maxPeersPerContent: number
  private readonly superSeed?: SuperSeedSettings
  private readonly events: SwarmRegistryEvents
  /** Swarms being super-seeded. */
  private readonly superSeeded = new Set<ContentSwarm>()

  constructor (init: SwarmRegistryInit) {
    this.storage = init.storage
    this.peers = init.peers
    this.log = init.log
    this.maxPeersPerContent = init.maxPeersPerContent
    this.superSeed = init.superSeed
    this.events = init.events
  }

  /** True while some content is being super-seeded. */
  get superSeeding (): boolean {
    return this.superSeeded.size > 0
  }

  /** Stops every super-seeder's timer (the node is stopping). */
  close (): void {
    for (const swarm of this.superSeeded) swarm.superSeed?.stop()
    this.superSeeded.clear()
  }

  /** The swarm of a content, loading its manifest and chunk map from storage if needed. */
  get (cid: CID | ContentId): ContentSwarm | undefined | Promise<ContentSwarm | undefined> {
    const key = cid.toString()
    const swarm = this.swarms.get(key)
    if (swarm !== undefined) return swarm
    let pending = this.loading.get(key)
    if (pending === undefined) {
      pending = this.load(cid).finally(() => this.loading.delete(key))
      this.loading.set(key, pending)
    }
    return pending
  }

  /**
   * Forgets a content (it is being deleted): its swarm is dropped, its members leave it and its
   * super-seeder stops. Peers asking for its chunks afterwards are told it is not found.
   */
  remove (key: string): void {
    const swarm = this.swarms.get(key)
    if (swarm === undefined) return
    this.swarms.delete(key)
    if (swarm.superSeed !== undefined) {
      swarm.superSeed.stop()
      this.superSeedingEnded(swarm)
    }
    for (const session of [...swarm.peers.keys()]) {
      swarm.peers.delete(session)
      this.memberships.get(session)?.delete(swarm)
    }
  }

  /** Registers (or replaces) the swarm of a content with this manifest and chunk map. */
  add (manifest: Manifest, have: Bitfield): ContentSwarm {
    const key = manifest.root.toString()
    const existing = this.swarms.get(key)
    if (existing !== undefined) {
      for (const index of have) existing.have.set(index)
      return existing
    }
    const swarm = new ContentSwarm(manifest, have)
    this.swarms.set(key, swarm)
    if (have.complete && this.superSeed !== undefined) this.startSuperSeeding(swarm, this.superSeed)
    return swarm
  }

  private startSuperSeeding (swarm: ContentSwarm, settings: SuperSeedSettings): void {
    swarm.superSeed = new SuperSeeder(swarm, { ...settings, events: { ended: (ended) => { this.superSeedingEnded(ended) } } })
    this.superSeeded.add(swarm)
    if (this.superSeeded.size === 1) this.events.superSeedingChanged(true)
  }

  private superSeedingEnded (swarm: ContentSwarm): void {
    if (this.superSeeded.delete(swarm) && this.superSeeded.size === 0) this.events.superSeedingChanged(false)
  }

  /**
   * Sends our chunk map of `swarm` to a peer (which answers with its own): `bits`, else what we
   * hold (nothing while super-seeding: a member is told its own subset when it joins).
   */
  sendBitfield (swarm: ContentSwarm, session: PeerSession, bits?: Bitfield): void {
    swarm.bitfieldSentTo.add(session)
    const map = bits ?? (swarm.superSeed?.active === true ? new Bitfield(swarm.manifest.chunkCount) : swarm.have)
    session.send({ type: 'bitfield', content: swarm.root, chunkCount: swarm.manifest.chunkCount, bits: map.toBytes() })
  }

  /** Sends our map of a content being downloaded to a peer that has not had it yet (asking for theirs). */
  offerBitfield (swarm: ContentSwarm, session: PeerSession): void {
    if (swarm.download !== undefined && !swarm.bitfieldSentTo.has(session)) this.sendBitfield(swarm, session)
  }

  /** The swarms a peer is a member of (a copy: safe to leave them while iterating). */
  contentsOf (session: PeerSession): ContentSwarm[] {
    return [...(this.memberships.get(session) ?? [])]
  }

  private membershipsOf (session: PeerSession): Set<ContentSwarm> {
    let set = this.memberships.get(session)
    if (set === undefined) this.memberships.set(session, set = new Set())
    return set
  }

  /** Tells every swarm peer that lacks chunk `index` that we now hold it (seeders need no haves). */
  announceHave (swarm: ContentSwarm, index: number): void {
    for (const [session, holdings] of swarm.peers) {
      if (!session.closed && !holdings.complete) session.send({ type: 'have', content: swarm.root, index })
    }
  }

  /**
   * Handles a peer's bitfield, have and peers messages in the order it sent them. A bitfield for a
   * content not in memory waits for storage; messages behind it wait too (a `have` or `peers`
   * handled before that bitfield would be dropped as coming from a non-member), up to a bound.
   */
  receive (session: PeerSession, message: BitfieldMessage | HaveMessage | PeersMessage): void {
    const queue = this.queues.get(session)
    if (queue === undefined) {
      const work = this.dispatch(session, message)
      if (work !== undefined) this.track(session, { tail: work, length: 1 })
      return
    }
    if (queue.length >= MAX_QUEUED_AVAILABILITY) {
      this.protocolError(session, `more than ${MAX_QUEUED_AVAILABILITY} availability messages queued behind a bitfield`)
      return
    }
    queue.length++
    queue.tail = queue.tail.then(() => this.dispatch(session, message))
    this.track(session, queue)
  }

  private dispatch (session: PeerSession, message: BitfieldMessage | HaveMessage | PeersMessage): Promise<void> | undefined {
    if (session.closed) return undefined
    switch (message.type) {
      case 'bitfield': {
        const swarm = this.get(message.content)
        if (!(swarm instanceof Promise)) return this.handleBitfield(session, message, swarm)
        return swarm.then(loaded => { this.handleBitfield(session, message, loaded) })
      }
      case 'have': {
        const swarm = this.get(message.content)
        if (!(swarm instanceof Promise)) return this.handleHave(session, message, swarm)
        return swarm.then(loaded => { this.handleHave(session, message, loaded) })
      }
      case 'peers':
        this.handlePeers(session, message)
        return undefined
    }
  }

  private track (session: PeerSession, queue: AvailabilityQueue): void {
    const settled = queue.tail.catch((err: Error) => { this.log.error('availability message from %s: %s', session.peerId, err.message) })
    queue.tail = settled.then(() => {
      queue.length--
      if (queue.length === 0 && this.queues.get(session) === queue) this.queues.delete(session)
    })
    this.queues.set(session, queue)
  }

  private handleBitfield (session: PeerSession, message: BitfieldMessage, swarm: ContentSwarm | undefined): undefined {
    const key = message.content.toString()
    if (session.closed) return
    if (swarm === undefined) {
      // Not recorded per session, so a peer naming endless unknown contents costs no memory.
      session.send({ type: 'bitfield', content: message.content, chunkCount: 0, bits: new Uint8Array(0) })
      return
    }
    if (message.chunkCount === 0) {
      // The peer does not hold this content; it may still be asking for our map.
      this.leave(swarm, session)
      if (!swarm.bitfieldSentTo.has(session)) this.sendBitfield(swarm, session)
      return
    }
    const n = swarm.manifest.chunkCount
    if (message.chunkCount !== n) {
      this.protocolError(session, `bitfield for ${key} has ${message.chunkCount} chunks; the content has ${n}`)
      return
    }
    let bits: Bitfield
    try {
      bits = Bitfield.fromBytes(n, message.bits)
    } catch (err) {
      this.protocolError(session, `malformed bitfield for ${key}: ${(err as Error).message}`)
      return
    }
    const existing = swarm.peers.get(session)
    if (existing !== undefined) {
      // A later bitfield replaces the earlier one (PROTOCOL.md §5): update in place.
      existing.setBitfield(bits)
      swarm.download?.peerUpdated(session)
      swarm.superSeed?.peerUpdated(session)
      return
    }
    const holdings = new PeerHoldings(n)
    holdings.setBitfield(bits)
    swarm.peers.set(session, holdings)
    this.membershipsOf(session).add(swarm)
    const addresses = session.listenAddresses()
    this.remember(swarm, addresses.slice(0, ADDRESSES_PER_PEER))
    // A peer joining this swarm gets our map even if it was sent before (it may have answered
    // "not held" then); a member does not, so the exchange ends. A super-seeder tells it only
    // the chunks it reveals to it.
    this.sendBitfield(swarm, session, swarm.superSeed?.peerJoined(session, holdings))
    this.sendPeerExchange(swarm, session, addresses)
    swarm.download?.peerJoined(session, holdings)
  }

  private handleHave (session: PeerSession, message: HaveMessage, swarm: ContentSwarm | undefined): undefined {
    if (swarm === undefined || session.closed) return
    const holdings = swarm.peers.get(session)
    if (holdings === undefined) return // a have before a bitfield: ignored, the bitfield will carry it
    if (message.index >= swarm.manifest.chunkCount) {
      this.protocolError(session, `have for chunk ${message.index} of ${swarm.key}, which has ${swarm.manifest.chunkCount} chunks`)
      return
    }
    if (!holdings.add(message.index)) return
    swarm.download?.peerHas(session, message.index)
    swarm.superSeed?.peerHas(session, message.index)
  }

  private handlePeers (session: PeerSession, message: PeersMessage): void {
    const swarm = this.swarms.get(message.content.toString())
    if (swarm?.download === undefined || !swarm.peers.has(session)) return
    const own = this.peers.addresses
    for (const address of message.addresses.slice(0, MAX_PEX_ADDRESSES)) {
      if (swarm.knownAddresses.has(address) || own.includes(address)) continue
      if (!this.remember(swarm, [address])) return
      if (swarm.peers.size < this.maxPeersPerContent) this.events.addressLearned(swarm, address)
    }
  }

  /**
   * Adds addresses to a swarm's known set, up to a bound, so peers flooding made-up addresses (in
   * hellos or peer exchange) cannot grow it, or our dials, without limit. False once full.
   */
  remember (swarm: ContentSwarm, addresses: readonly string[]): boolean {
    for (const address of addresses) {
      if (swarm.knownAddresses.has(address)) continue
      if (swarm.knownAddresses.size >= this.maxPeersPerContent * MAX_KNOWN_PER_PEER_SLOT) return false
      swarm.knownAddresses.add(address)
    }
    return true
  }

  /** A peer disconnected: it leaves every swarm it was in. */
  peerGone (session: PeerSession): void {
    for (const swarm of this.contentsOf(session)) this.leave(swarm, session)
  }

  private leave (swarm: ContentSwarm, session: PeerSession): void {
    if (!swarm.peers.has(session)) return
    swarm.download?.peerLeft(session)
    swarm.peers.delete(session)
    this.memberships.get(session)?.delete(swarm)
    swarm.superSeed?.peerLeft(session)
  }

  /** Tells a newly joined peer where other swarm members listen, and them about it. */
  private sendPeerExchange (swarm: ContentSwarm, joined: PeerSession, joinedAddresses: string[]): void {
    const others: string[] = []
    for (const other of swarm.peers.keys()) {
      if (other === joined || other.closed) continue
      const theirs = other.listenAddresses()
      if (others.length < MAX_PEX_ADDRESSES && theirs.length > 0) others.push(theirs[0])
      if (joinedAddresses.length > 0) other.send({ type: 'peers', content: swarm.root, addresses: joinedAddresses.slice(0, 1) })
    }
    if (others.length > 0) joined.send({ type: 'peers', content: swarm.root, addresses: others })
  }

  private protocolError (session: PeerSession, reason: string): void {
    this.log('protocol error from %s: %s', session.peerId, reason)
    session.close(new ProtocolError(`Peer ${session.peerId}: ${reason}`), { code: GoodbyeCode.ProtocolError, reason })
  }

  private async load (cid: CID | ContentId): Promise<ContentSwarm | undefined> {
    const id = cid instanceof ContentId ? cid : ContentId.fromCid(cid)
    const manifest = await this.storage.getManifest(id)
    if (manifest === undefined) return undefined
    const key = manifest.root.toString()
    const again = this.swarms.get(key)
    if (again !== undefined) return again
    const have = (await this.storage.completed(manifest.root)) ?? new Bitfield(manifest.chunkCount)
    return this.add(manifest, have)
  }
}
