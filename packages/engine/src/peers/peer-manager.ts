import { DialError, GoodbyeCode, InvalidAddressError, NodeStoppedError, PROTOCOL_VERSION, ProtocolError, TimeoutError } from '@codio-chunk/interface'
import { parseAddress } from '@codio-chunk/protocol'
import { PeerSession, type PeerSessionEvents } from './peer-session.js'
import { HostCensus, hostOf } from './host-census.js'
import { unrefInterval } from '../util/timers.js'
import type { Clock } from './rate-meter.js'
import type { Connection, Listener, Logger, Transport, WireMessage } from '@codio-chunk/interface'

/** What a {@link PeerManager} reports to the engine about its peers. */
export interface PeerManagerEvents {
  /** A session finished its handshake and is the one kept for its peer. */
  peerConnected(session: PeerSession): void
  /** A kept session received a message after the handshake. */
  peerMessage(session: PeerSession, message: WireMessage): void
  /** A kept session closed. */
  peerDisconnected(session: PeerSession, error?: Error): void
  /** A peer was banned (just before its connection is closed). */
  peerBanned(session: PeerSession, reason: string): void
}

/** What a {@link PeerManager} is made of. */
export interface PeerManagerInit {
  transports: readonly Transport[]
  localPeerId: string
  /** What our hello says besides our peer id and listen addresses. */
  hello: { maxFrameSize: number, maxRequests: number, agent: string }
  dialTimeout: number
  maxConnections: number
  /** Most inbound connections from one host, handshakes included. */
  maxConnectionsPerHost: number
  /** A connection on which nothing arrived for this long, and which neither side needs, is closed. */
  idleTimeout: number
  clock: Clock
  log: Logger
  events: PeerManagerEvents
}

/** Milliseconds a handshake may take while the node is under pressure (half its handshake places taken). */
export const PRESSURED_HELLO_TIMEOUT = 2000

/** Milliseconds of silence after which an idle peer may give its place to a new connection when the node is full. */
export const EVICTABLE_AFTER = 2000

/**
 * Opens, accepts, de-duplicates and bans connections. At most one session is kept per peer id;
 * when two peers dial each other at once, both keep the connection dialled by the smaller peer id.
 *
 * Inbound connections are admitted so that nobody can keep others out by opening many: at most
 * `maxConnectionsPerHost` from one host; at most a quarter of `maxConnections` in their handshake
 * in all (the oldest handshake of the busiest host gives
 * way to a newcomer from another host), with a 2 s hello deadline once half of those places are
 * taken; when every connection place is taken, a handshake still running, else a peer silent for
 * 2 s that neither side needs, gives its place to the newcomer. Connections on which nothing
 * arrived for `idleTimeout`, and which neither side needs, are closed.
 */
export class PeerManager {
  /** Sessions by peer id (handshake done). */
  private readonly kept = new Map<string, PeerSession>()
  private readonly bannedIds = new Set<string>()
  private readonly bannedAddresses = new Set<string>()
  private readonly listeners: Listener[] = []
  private readonly pendingDials = new Map<string, Promise<PeerSession>>()
  private readonly handshaking = new Set<PeerSession>()
  private readonly byScheme = new Map<string, Transport>()
  private readonly init: PeerManagerInit
  private readonly sessionEvents: PeerSessionEvents
  private stopped = false
  /** Aborts dials still in progress when the manager stops. */
  private readonly stopController = new AbortController()
  /** Inbound connections per host, open and in their handshake. */
  private readonly census = new HostCensus()
  /** Inbound handshakes in progress, oldest first. */
  private readonly inboundPending = new Set<PeerSession>()
  private readonly idleTimer: ReturnType<typeof setInterval>

  constructor (init: PeerManagerInit) {
    this.init = init
    this.idleTimer = unrefInterval(() => { this.closeIdle() }, Math.max(50, Math.floor(init.idleTimeout / 4)))
    for (const transport of init.transports) {
      for (const scheme of transport.protocols) this.byScheme.set(scheme, transport)
    }
    this.sessionEvents = {
      helloReceived: (session) => this.admit(session),
      message: (session, message) => { this.init.events.peerMessage(session, message) },
      closed: (session, error) => { this.closed(session, error) }
    }
  }

  /** Addresses peers can dial us on. */
  get addresses (): string[] {
    return this.listeners.flatMap(l => [...l.addresses])
  }

  /** The sessions kept, one per connected peer. */
  sessions (): IterableIterator<PeerSession> {
    return this.kept.values()
  }

  /** How many peers are connected. */
  get sessionCount (): number {
    return this.kept.size
  }

  /** The session kept for a peer, if it is connected. */
  session (peerId: string): PeerSession | undefined {
    return this.kept.get(peerId)
  }

  /** True if the peer was banned. */
  isBanned (peerId: string): boolean {
    return this.bannedIds.has(peerId)
  }

  transportFor (address: string): Transport {
    const { scheme } = parseAddress(address)
    const transport = this.byScheme.get(scheme)
    if (transport === undefined) {
      const known = [...this.byScheme.keys()].map(s => `${s}://`).join(', ') || 'none'
      throw new InvalidAddressError(`No transport for "${scheme}://" addresses (configured: ${known}); add a transport plugin for it`)
    }
    return transport
  }

  async listen (address: string): Promise<void> {
    const transport = this.transportFor(address)
    const listener = await transport.listen(address, {
      onConnection: (connection) => { this.accept(connection) }
    })
    this.listeners.push(listener)
  }

  /**
   * Connects to `address` (or returns the session already open to it). Rejects with DialError,
   * InvalidAddressError, TimeoutError or AbortError.
   */
  async dial (address: string, options: { signal?: AbortSignal } = {}): Promise<PeerSession> {
    if (this.stopped) throw new NodeStoppedError('The node is stopped')
    for (const session of this.kept.values()) {
      if (session.connection.remoteAddress === address && !session.closed) return session
    }
    if (this.bannedAddresses.has(address)) throw new DialError(`Not dialling ${address}: the peer there was banned for sending bad data`)
    let pending = this.pendingDials.get(address)
    if (pending === undefined) {
      pending = this.openSession(address, options.signal).finally(() => this.pendingDials.delete(address))
      this.pendingDials.set(address, pending)
    }
    return await pending
  }

  /** Disconnects and bans a peer for the rest of this node's life (once; later calls do nothing). */
  ban (session: PeerSession, reason: string): void {
    if (this.bannedIds.has(session.peerId)) return
    this.bannedIds.add(session.peerId)
    if (session.connection.direction === 'outbound') this.bannedAddresses.add(session.connection.remoteAddress)
    for (const address of session.remoteHello?.addresses ?? []) this.bannedAddresses.add(address)
    this.init.events.peerBanned(session, reason)
    session.close(new ProtocolError(`Peer ${session.peerId} banned: ${reason}`), { code: GoodbyeCode.Banned, reason })
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearInterval(this.idleTimer)
    this.stopController.abort(new NodeStoppedError('The node is stopping'))
    await Promise.allSettled(this.listeners.map(async l => { await l.close() }))
    this.listeners.length = 0
    for (const session of [...this.kept.values(), ...this.handshaking]) {
      session.close(undefined, { code: GoodbyeCode.Shutdown, reason: 'node stopping' })
    }
  }

  private async openSession (address: string, signal?: AbortSignal): Promise<PeerSession> {
    const transport = this.transportFor(address)
    const { dialTimeout } = this.init
    const timeout = AbortSignal.timeout(dialTimeout)
    const combined = AbortSignal.any(signal === undefined ? [timeout, this.stopController.signal] : [signal, timeout, this.stopController.signal])
    let connection: Connection
    try {
      connection = await transport.dial(address, { signal: combined })
    } catch (err) {
      if (this.stopped) throw new NodeStoppedError('The node stopped while dialling', { cause: err })
      if (timeout.aborted && signal?.aborted !== true) throw new TimeoutError(`Dialling ${address} took longer than ${dialTimeout} ms`, { cause: err })
      throw err
    }
    if (this.stopped) {
      connection.close()
      throw new NodeStoppedError('The node stopped while dialling')
    }
    const session = await this.handshake(connection)
    if (session.closed) throw new DialError(`Connection to ${address} closed during the handshake`, { cause: session.closeError })
    return session
  }

  private accept (connection: Connection): void {
    const refusal = this.stopped ? 'the node is stopping' : this.makeRoomFor(connection)
    if (refusal !== undefined) {
      this.init.log('refusing inbound connection from %s: %s', connection.remoteAddress, refusal)
      connection.close()
      return
    }
    const host = hostOf(connection.remoteAddress)
    const pressured = this.inboundPending.size >= this.maxPending / 2
    this.census.add(host, 'pending')
    this.handshake(connection, pressured ? Math.min(this.init.dialTimeout, PRESSURED_HELLO_TIMEOUT) : this.init.dialTimeout, (session) => {
      this.inboundPending.add(session)
    }).catch((err: Error) => {
      this.init.log('inbound connection from %s failed: %s', connection.remoteAddress, err.message)
    })
  }

  /** Handshakes in progress allowed at once from all hosts. */
  private get maxPending (): number {
    return Math.max(8, Math.floor(this.init.maxConnections / 4))
  }

  /**
   * Makes room for an inbound connection, evicting what may give way; returns why it cannot be
   * admitted, or undefined.
   */
  private makeRoomFor (connection: Connection): string | undefined {
    const { maxConnections, maxConnectionsPerHost } = this.init
    const host = hostOf(connection.remoteAddress)
    const own = this.census.count(host)
    if (own.open + own.pending >= maxConnectionsPerHost) return `${host} already has ${maxConnectionsPerHost} connections (maxConnectionsPerHost)`
    if (this.inboundPending.size >= this.maxPending && !this.evictPending(host)) return `${this.inboundPending.size} connections are in their handshake, most of them from ${host}`
    if (this.kept.size + this.handshaking.size < maxConnections) return undefined
    if (this.evictPending() || this.evictIdle()) return undefined
    return `all ${maxConnections} connection places are taken by peers in use (maxConnections)`
  }

  /**
   * Closes the oldest handshake of the host with the most of them (of any host if `exceptHost` is
   * undefined); never of `exceptHost` itself, whose newcomer is refused instead. True if one was closed.
   */
  private evictPending (exceptHost?: string): boolean {
    const busiest = this.census.busiestPending()
    if (busiest === undefined || busiest === exceptHost) return false
    for (const session of this.inboundPending) {
      if (hostOf(session.connection.remoteAddress) !== busiest) continue
      // Counted out at once: the newcomer takes its place in this same turn.
      this.inboundPending.delete(session)
      this.handshaking.delete(session)
      this.census.remove(busiest, 'pending')
      this.init.log('evicting %s: still in its handshake while others wait', session.connection.remoteAddress)
      session.close(new TimeoutError(`Peer at ${session.connection.remoteAddress} was evicted: its handshake took too long while the node was full`))
      return true
    }
    return false
  }

  /** Closes the peer silent longest among those silent for EVICTABLE_AFTER that nobody needs. True if one was closed. */
  private evictIdle (): boolean {
    const now = this.init.clock()
    let victim: PeerSession | undefined
    for (const session of this.kept.values()) {
      if (!session.idle || now - session.lastHeardAt < EVICTABLE_AFTER) continue
      if (victim === undefined || session.lastHeardAt < victim.lastHeardAt) victim = session
    }
    if (victim === undefined) return false
    this.init.log('evicting idle peer %s to admit a new connection', victim.peerId)
    victim.close(undefined, { code: GoodbyeCode.Normal, reason: 'idle, and the node is full' })
    return true
  }

  /** Closes the connections on which nothing arrived for idleTimeout and which nobody needs. */
  private closeIdle (): void {
    const now = this.init.clock()
    for (const session of [...this.kept.values()]) {
      if (session.idle && now - session.lastHeardAt >= this.init.idleTimeout) {
        this.init.log('closing idle connection to %s', session.peerId)
        session.close(undefined, { code: GoodbyeCode.Normal, reason: 'idle' })
      }
    }
  }

  private async handshake (connection: Connection, helloTimeout = this.init.dialTimeout, started?: (session: PeerSession) => void): Promise<PeerSession> {
    const { hello, localPeerId, clock } = this.init
    const session = new PeerSession({
      connection,
      hello: { type: 'hello', version: PROTOCOL_VERSION, peerId: localPeerId, ...hello, addresses: this.addresses },
      helloTimeout,
      clock,
      events: this.sessionEvents
    })
    this.handshaking.add(session)
    started?.(session)
    try {
      return await session.start()
    } finally {
      this.handshaking.delete(session)
      if (this.inboundPending.delete(session)) this.census.remove(hostOf(connection.remoteAddress), 'pending')
    }
  }

  /** Decides synchronously, as the hello arrives, whether to keep a session. */
  private admit (session: PeerSession): PeerSession | undefined {
    const peerId = session.peerId
    const address = session.connection.remoteAddress
    if (this.stopped) {
      session.close(new NodeStoppedError('The node is stopped'), { code: GoodbyeCode.Shutdown, reason: 'node stopping' })
      return undefined
    }
    if (peerId === this.init.localPeerId) {
      session.close(new DialError(`${address} is this node itself`), { code: GoodbyeCode.DuplicateConnection, reason: 'connected to self' })
      return undefined
    }
    if (this.bannedIds.has(peerId)) {
      session.close(new DialError(`Peer ${peerId} at ${address} is banned for sending bad data`), { code: GoodbyeCode.Banned, reason: 'banned' })
      return undefined
    }
    return this.keep(session)
  }

  /** Registers a session, resolving a duplicate connection to the same peer. Returns the kept one. */
  private keep (session: PeerSession): PeerSession {
    const existing = this.kept.get(session.peerId)
    if (existing !== undefined && !existing.closed) {
      const dialerOf = (s: PeerSession): string => s.connection.direction === 'outbound' ? this.init.localPeerId : s.peerId
      const keepNew = existing.connection.direction !== session.connection.direction && dialerOf(session) < dialerOf(existing)
      // The session closes itself as a duplicate once its handshake resolves to the kept one.
      if (!keepNew) return existing
      // Closing the registered session reports it gone before the new one is reported.
      existing.close(undefined, { code: GoodbyeCode.DuplicateConnection, reason: 'duplicate connection' })
    }
    this.kept.set(session.peerId, session)
    if (session.connection.direction === 'inbound') this.census.add(hostOf(session.connection.remoteAddress), 'open')
    this.init.events.peerConnected(session)
    return session
  }

  private closed (session: PeerSession, error?: Error): void {
    if (this.kept.get(session.peerId) === session) {
      this.kept.delete(session.peerId)
      if (session.connection.direction === 'inbound') this.census.remove(hostOf(session.connection.remoteAddress), 'open')
      this.init.events.peerDisconnected(session, error)
    }
  }
}
