import { DialError, GoodbyeCode, InvalidAddressError, NodeStoppedError, PROTOCOL_VERSION, ProtocolError, TimeoutError } from '@codio-chunk/interface'
import { parseAddress } from '@codio-chunk/protocol'
import { PeerSession, type PeerSessionEvents } from './peer-session.js'
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
  clock: Clock
  log: Logger
  events: PeerManagerEvents
}

/**
 * Opens, accepts, de-duplicates and bans connections. At most one session is kept per peer id;
 * when two peers dial each other at once, both keep the connection dialled by the smaller peer id.
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

  constructor (init: PeerManagerInit) {
    this.init = init
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
    if (this.stopped || this.kept.size + this.handshaking.size >= this.init.maxConnections) {
      this.init.log('refusing inbound connection from %s: %s', connection.remoteAddress, this.stopped ? 'stopped' : 'connection limit reached')
      connection.close()
      return
    }
    this.handshake(connection).catch((err: Error) => {
      this.init.log('inbound connection from %s failed: %s', connection.remoteAddress, err.message)
    })
  }

  private async handshake (connection: Connection): Promise<PeerSession> {
    const { hello, localPeerId, dialTimeout, clock } = this.init
    const session = new PeerSession({
      connection,
      hello: { type: 'hello', version: PROTOCOL_VERSION, peerId: localPeerId, ...hello, addresses: this.addresses },
      helloTimeout: dialTimeout,
      clock,
      events: this.sessionEvents
    })
    this.handshaking.add(session)
    try {
      return await session.start()
    } finally {
      this.handshaking.delete(session)
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
    this.init.events.peerConnected(session)
    return session
  }

  private closed (session: PeerSession, error?: Error): void {
    if (this.kept.get(session.peerId) === session) {
      this.kept.delete(session.peerId)
      this.init.events.peerDisconnected(session, error)
    }
  }
}
