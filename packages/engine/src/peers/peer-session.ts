import { ConnectionClosedError, GoodbyeCode, ProtocolError, TimeoutError } from '@codio-chunk/interface'
import { formatAddress, isUnspecifiedHost, parseAddress } from '@codio-chunk/protocol'
import { RateMeter, type Clock } from './rate-meter.js'
import { checkHello } from './hello-check.js'
import { unrefTimeout } from '../util/timers.js'
import type { Connection, HelloMessage, RejectCode, RequestMessage, WireMessage } from '@codio-chunk/interface'
import type { CID } from 'multiformats/cid'

/** A request message before the session assigns its id. */
export type RequestWithoutId = RequestMessage extends infer T ? T extends RequestMessage ? Omit<T, 'id'> : never : never

/** What a request got back: the block, or why there is none. */
export type RequestOutcome =
  | { ok: true, bytes: Uint8Array }
  | { ok: false, error: Error, rejected?: RejectCode }

/** A request this node sent and has not had answered yet. */
export interface OutgoingRequest {
  readonly id: number
  /** When it was sent (clock time). */
  readonly sentAt: number
  readonly deadline: number
  readonly onOutcome: (outcome: RequestOutcome) => void
}

/** A request a peer sent us that is being served. Setting `cancelled` stops serving it. */
export interface IncomingRequest {
  cancelled: boolean
}

/** What a {@link PeerSession} reports to whoever keeps it (the peer manager). */
export interface PeerSessionEvents {
  /**
   * The peer's hello arrived, before any later message is handled. Returns the session to use for
   * this peer: this one, an existing one if this connection is a duplicate (this one is then
   * closed), or undefined if the peer was refused (the callee closes the session with the reason).
   */
  helloReceived(session: PeerSession): PeerSession | undefined
  /** A message arrived after the handshake (requests answered here are not reported). */
  message(session: PeerSession, message: WireMessage): void
  /** The connection closed, once, whether or not the handshake completed. */
  closed(session: PeerSession, error?: Error): void
}

/** What a {@link PeerSession} is made of. */
export interface PeerSessionOptions {
  connection: Connection
  /** Our hello, sent first. */
  hello: HelloMessage
  /** Milliseconds the peer has to send its hello. */
  helloTimeout: number
  clock: Clock
  events: PeerSessionEvents
}

/**
 * One connected peer: the handshake, the choke and interest state both ways, request bookkeeping
 * in both directions and per-peer statistics. Its state changes only through its methods, which
 * send the matching message when the state changes. It knows nothing about contents beyond the
 * interest declared both ways (swarm membership is the swarm registry's).
 *
 * @example
 * ```ts
 * const session = new PeerSession({ connection, hello, helloTimeout: 10_000, clock, events })
 * await session.start()                       // resolves with the session kept for the peer
 * session.setChoking(false)                   // sends unchoke
 * session.declareInterest(key, content, true) // sends interested
 * ```
 */
export class PeerSession {
  readonly connection: Connection

  private hello?: HelloMessage
  private isClosed = false
  private closeReason?: Error
  /** The peer chokes us; every connection starts choked both ways. */
  private chokedByPeer = true
  private chokedByPeerAt: number
  private chokingPeer = true
  /** Contents we told the peer we are interested in (CID strings). */
  private readonly ourInterest = new Set<string>()
  /** The peer has withheld chunks we asked for or kept us waiting (see {@link withholds}); never reset. */
  private withheld = false
  /** Contents the peer said it is interested in (CID strings). */
  private readonly theirInterest = new Set<string>()
  private interestedSince?: number
  private lastData: number
  /** When anything last arrived from the peer (the connection's start at first). */
  private lastHeard: number
  private readonly downloaded: RateMeter
  private readonly uploaded: RateMeter
  private bad = 0
  private timedOut = 0
  private readonly outgoing = new Map<number, OutgoingRequest>()
  private readonly incoming = new Map<number, IncomingRequest>()
  /**
   * Uploads to this peer run one after another: each waits for the previous answer to be sent and
   * for the send buffer to drain, so a peer that does not read cannot make us queue data.
   */
  private uploads: Promise<void> = Promise.resolve()
  private nextRequestId = 1
  private readonly options: PeerSessionOptions
  private readonly handshake: Promise<PeerSession>
  private resolveHandshake!: (kept: PeerSession) => void
  private rejectHandshake!: (err: Error) => void
  private helloTimer?: ReturnType<typeof setTimeout>

  constructor (options: PeerSessionOptions) {
    this.options = options
    this.connection = options.connection
    this.chokedByPeerAt = options.clock()
    this.lastData = this.chokedByPeerAt
    this.lastHeard = this.chokedByPeerAt
    this.downloaded = new RateMeter({ clock: options.clock })
    this.uploaded = new RateMeter({ clock: options.clock })
    this.handshake = new Promise((resolve, reject) => {
      this.resolveHandshake = resolve
      this.rejectHandshake = reject
    })
    this.handshake.catch(() => {})
  }

  /** The peer's hello, once received. */
  get remoteHello (): HelloMessage | undefined { return this.hello }
  /** The peer id the peer claimed in its hello (checked against what the transport authenticated). */
  get peerId (): string { return this.hello?.peerId ?? '(handshaking)' }
  /** True once the connection has closed. */
  get closed (): boolean { return this.isClosed }
  /** Why the connection closed, if it failed. */
  get closeError (): Error | undefined { return this.closeReason }
  /** The peer chokes us: our chunk requests would be rejected. */
  get peerChoking (): boolean { return this.chokedByPeer }
  /** When the peer last choked us (the connection's start at first). */
  get chokedAt (): number { return this.chokedByPeerAt }
  /** We choke the peer: its chunk requests are rejected. */
  get amChoking (): boolean { return this.chokingPeer }
  /** The peer is interested in at least one of our contents. */
  get peerInterested (): boolean { return this.theirInterest.size > 0 }
  /** When the peer last sent us a chunk or block (the connection's start at first). */
  get lastDataAt (): number { return this.lastData }
  /** When anything last arrived from the peer (the connection's start at first). */
  get lastHeardAt (): number { return this.lastHeard }
  /** We are interested in some content the peer has. */
  get interestedInPeer (): boolean { return this.ourInterest.size > 0 }
  /**
   * Neither side needs the other now: no request in flight either way and no interest in the
   * peer's chunks, on our side or its. Such a connection costs a slot and serves nobody.
   */
  get idle (): boolean {
    return this.outgoing.size === 0 && this.incoming.size === 0 && this.ourInterest.size === 0 && this.theirInterest.size === 0
  }
  /** Chunks and blocks from this peer that failed verification. */
  get badChunks (): number { return this.bad }
  /** Requests to this peer that timed out. */
  get timeouts (): number { return this.timedOut }
  /** Requests we have in flight to this peer. */
  get requestsOut (): number { return this.outgoing.size }
  /** Requests of the peer's we are serving. */
  get requestsIn (): number { return this.incoming.size }
  /** Payload bytes received in data messages (downloaded from this peer). */
  get bytesReceived (): number { return this.downloaded.total }
  /** Payload bytes sent in data messages (uploaded to this peer). */
  get bytesSent (): number { return this.uploaded.total }
  /** Bytes per second the peer sends us, over the last few seconds. */
  receiveRate (): number { return this.downloaded.rate() }
  /** Bytes per second we send the peer, over the last few seconds. */
  sendRate (): number { return this.uploaded.rate() }

  /** The addresses the peer said it listens on, with unspecified hosts replaced by the address we see it at. */
  listenAddresses (): string[] {
    const out: string[] = []
    for (const address of this.hello?.addresses ?? []) {
      try {
        const parsed = parseAddress(address)
        if (isUnspecifiedHost(parsed.host)) {
          const seen = parseAddress(this.connection.remoteAddress)
          out.push(formatAddress(parsed.scheme, seen.host, parsed.port))
        } else {
          out.push(address)
        }
      } catch {
        // an address we cannot parse is left out
      }
    }
    return out
  }

  /**
   * Starts the connection: sends our hello and waits for the peer's. Rejects with ProtocolError or
   * TimeoutError (and closes the connection) if the peer's hello is missing or wrong.
   */
  async start (): Promise<PeerSession> {
    this.connection.start({
      onMessage: (message) => { this.receive(message) },
      onClose: (error) => { this.handleClose(error) }
    })
    this.helloTimer = unrefTimeout(() => {
      this.close(new TimeoutError(`Peer at ${this.connection.remoteAddress} sent no hello within ${this.options.helloTimeout} ms`))
    }, this.options.helloTimeout)
    try {
      this.connection.send(this.options.hello)
    } catch (err) {
      this.close(err as Error)
    }
    return await this.handshake
  }

  /**
   * True if the peer snubs us: we have been interested in it for `timeout` ms and it has sent us
   * nothing in that time. Snubbing peers get only the optimistic upload slot.
   */
  isSnubbing (now: number, timeout: number): boolean {
    if (this.interestedSince === undefined) return false
    return now - Math.max(this.interestedSince, this.lastData) >= timeout
  }

  /**
   * True once the peer has had a chance to pay us back and did not: it refused a chunk request of
   * ours or let one time out ({@link markWithheld}), sent us nothing for `grace` ms while a request
   * of ours waited, or kept us choked for `grace` ms while we were interested in it. Once true it
   * stays true for the connection. A peer we were interested in but never needed to ask (in a swarm
   * with a fast seeder, most of them) has withheld nothing. Waits and chokes are seen when this is
   * called, so an episode of `2 * grace` ms is seen by a caller that asks every `grace` ms (the
   * upload manager asks at every rechoke, with `grace` the rechoke interval).
   */
  withholds (now: number, grace: number): boolean {
    if (this.withheld) return true
    if (this.interestedSince !== undefined && this.chokedByPeer && now - Math.max(this.interestedSince, this.chokedByPeerAt) >= grace) this.withheld = true
    const oldest: OutgoingRequest | undefined = this.outgoing.values().next().value
    if (oldest !== undefined && now - Math.max(oldest.sentAt, this.lastData) >= grace) this.withheld = true
    return this.withheld
  }

  /** Records that the peer refused a chunk request of ours (not as choked or busy) or let one time out. */
  markWithheld (): void {
    this.withheld = true
  }

  /** Records that the peer chokes us (a `choke` message, or a request rejected as choked). */
  markChoked (): void {
    if (!this.chokedByPeer) this.chokedByPeerAt = this.options.clock()
    this.chokedByPeer = true
  }

  /** Chokes or unchokes the peer, sending `choke` / `unchoke` if that changes anything. True if it did. */
  setChoking (choking: boolean): boolean {
    if (this.chokingPeer === choking || this.isClosed) return false
    this.chokingPeer = choking
    this.send({ type: choking ? 'choke' : 'unchoke' })
    return true
  }

  /**
   * Declares our interest in the peer's chunks of a content (`key` is its CID string), sending
   * `interested` / `not-interested` when it changes. Snubbing is measured from when we became interested in the
   * peer at all.
   */
  declareInterest (key: string, content: CID, interested: boolean): void {
    if (this.ourInterest.has(key) === interested || this.isClosed) return
    if (interested) {
      this.ourInterest.add(key)
    } else this.ourInterest.delete(key)
    if (this.ourInterest.size === 0) this.interestedSince = undefined
    else this.interestedSince ??= this.options.clock()
    this.send({ type: interested ? 'interested' : 'not-interested', content })
  }

  /** Records the peer's interest in content `key`; true if it is new. */
  addPeerInterest (key: string): boolean {
    if (this.theirInterest.has(key)) return false
    this.theirInterest.add(key)
    return true
  }

  /** Records that the peer lost interest in content `key`; true if it had any. */
  removePeerInterest (key: string): boolean {
    return this.theirInterest.delete(key)
  }

  /** Counts a chunk or block from this peer that failed verification; returns the count. */
  countBadChunk (): number {
    return ++this.bad
  }

  /** Counts a request to this peer that timed out. */
  countTimeout (): void {
    this.timedOut++
  }

  /** Sends a message; returns false (and does nothing) if the connection is closed. Data payloads count as uploaded. */
  send (message: WireMessage, sent?: () => void): boolean {
    if (this.isClosed) return false
    try {
      this.connection.send(message, sent)
      if (message.type === 'data') this.uploaded.add(message.bytes.length)
      return true
    } catch (err) {
      this.close(err as Error)
      return false
    }
  }

  /** Sends a request and tracks it until `cancel()`, a reply or the connection closing. */
  request (message: RequestWithoutId, timeout: number, onOutcome: (outcome: RequestOutcome) => void): OutgoingRequest | undefined {
    if (this.isClosed) return undefined
    const id = this.nextRequestId
    this.nextRequestId = this.nextRequestId >= 0xffffffff ? 1 : this.nextRequestId + 1
    const full = { ...message, id } as RequestMessage
    const sentAt = this.options.clock()
    const request: OutgoingRequest = { id, sentAt, deadline: sentAt + timeout, onOutcome }
    this.outgoing.set(id, request)
    if (!this.send(full)) {
      this.outgoing.delete(id)
      return undefined
    }
    return request
  }

  /**
   * Ends an outgoing request without an answer (timeout or no longer needed): sends a cancel and
   * calls its outcome handler with `error` unless `silent`.
   */
  cancel (request: OutgoingRequest, error: Error, silent = false): void {
    if (this.outgoing.get(request.id) !== request) return
    this.outgoing.delete(request.id)
    this.send({ type: 'cancel', id: request.id })
    if (!silent) request.onOutcome({ ok: false, error })
  }

  /** The peer's request `id` being served, if any. */
  serving (id: number): IncomingRequest | undefined {
    return this.incoming.get(id)
  }

  /** Starts serving the peer's request `id`. */
  startServing (id: number, request: IncomingRequest): void {
    this.incoming.set(id, request)
  }

  /** Stops tracking the peer's request `id`, if it is still `request`. */
  stopServing (id: number, request: IncomingRequest): void {
    if (this.incoming.get(id) === request) this.incoming.delete(id)
  }

  /** The peer's requests being served (a copy: safe to stop serving them while iterating). */
  servedRequests (): Array<[number, IncomingRequest]> {
    return [...this.incoming]
  }

  /** Runs `task` after every upload queued before it has finished (uploads to one peer run in order). */
  enqueueUpload (task: () => Promise<void>): void {
    this.uploads = this.uploads.then(task)
  }

  /** Closes the connection (with a goodbye when a reason code is given). */
  close (error?: Error, goodbye?: { code: GoodbyeCode, reason: string }): void {
    if (this.isClosed) return
    if (goodbye !== undefined) this.send({ type: 'goodbye', code: goodbye.code, reason: goodbye.reason.slice(0, 512) })
    this.connection.close(error)
    // Transports call onClose; make sure our state is final even if one does not do it synchronously.
    this.handleClose(error)
  }

  private receive (message: WireMessage): void {
    if (this.isClosed) return
    this.lastHeard = this.options.clock()
    if (this.hello === undefined) {
      this.receiveHello(message)
      return
    }
    switch (message.type) {
      case 'data': {
        const request = this.outgoing.get(message.id)
        if (request === undefined) return // answer to a cancelled or timed-out request
        this.outgoing.delete(message.id)
        this.downloaded.add(message.bytes.length)
        this.lastData = this.options.clock()
        request.onOutcome({ ok: true, bytes: message.bytes })
        return
      }
      case 'reject': {
        const request = this.outgoing.get(message.id)
        if (request === undefined) return
        this.outgoing.delete(message.id)
        request.onOutcome({ ok: false, rejected: message.code, error: new ProtocolError(`Peer ${this.peerId} rejected request ${message.id}: ${message.reason}`) })
        return
      }
      case 'cancel': {
        const incoming = this.incoming.get(message.id)
        if (incoming !== undefined) incoming.cancelled = true
        return
      }
      case 'hello':
        this.close(new ProtocolError(`Peer ${this.peerId} sent a second hello`), { code: GoodbyeCode.ProtocolError, reason: 'duplicate hello' })
        return
      case 'goodbye':
        this.close(new ConnectionClosedError(`Peer ${this.peerId} said goodbye (code ${message.code}): ${message.reason}`))
        return
      case 'choke':
        this.markChoked()
        break
      case 'unchoke':
        this.chokedByPeer = false
        break
    }
    this.options.events.message(this, message)
  }

  private receiveHello (message: WireMessage): void {
    const checked = checkHello(message, this.connection)
    if ('error' in checked) {
      this.close(checked.error, { code: GoodbyeCode.ProtocolError, reason: checked.reason })
      return
    }
    this.hello = checked
    clearTimeout(this.helloTimer)
    const kept = this.options.events.helloReceived(this)
    if (kept === undefined) {
      // Refused (the callee closed it with the reason); make sure it is closed.
      this.close(new ProtocolError(`Peer ${checked.peerId} at ${this.connection.remoteAddress} was refused`))
      return
    }
    this.resolveHandshake(kept)
    if (kept !== this) this.close(undefined, { code: GoodbyeCode.DuplicateConnection, reason: 'duplicate connection' })
  }

  private handleClose (error?: Error): void {
    if (this.isClosed) return
    this.isClosed = true
    this.closeReason = error
    clearTimeout(this.helloTimer)
    const reason = error ?? new ConnectionClosedError(`Connection to ${this.hello?.peerId ?? this.connection.remoteAddress} closed`)
    this.rejectHandshake(reason)
    const pending = [...this.outgoing.values()]
    this.outgoing.clear()
    for (const incoming of this.incoming.values()) incoming.cancelled = true
    this.incoming.clear()
    for (const request of pending) {
      request.onOutcome({ ok: false, error: new ConnectionClosedError(`Connection to ${this.peerId} closed before request ${request.id} was answered`, { cause: error }) })
    }
    this.options.events.closed(this, error)
  }
}
