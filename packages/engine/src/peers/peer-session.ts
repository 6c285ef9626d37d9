import { ConnectionClosedError, ProtocolError, TimeoutError } from '@codio-chunk/interface'
import { GoodbyeCode, PROTOCOL_VERSION, RejectCode } from '@codio-chunk/interface'
import { RateMeter, type Clock } from './rate-meter.js'
import type { Connection } from '@codio-chunk/interface'
import type { HelloMessage, WireMessage, RequestMessage } from '@codio-chunk/interface'
import type { PeerHoldings } from '@codio-chunk/pieces'

/** A request message before the session assigns its id. */
export type RequestWithoutId = RequestMessage extends infer T ? T extends RequestMessage ? Omit<T, 'id'> : never : never

/** What a request got back: the block, or why there is none. */
export type RequestOutcome =
  | { ok: true, bytes: Uint8Array }
  | { ok: false, error: Error, rejected?: RejectCode }

/** A request this node sent and has not had answered yet. */
export interface OutgoingRequest {
  readonly id: number
  readonly deadline: number
  readonly onOutcome: (outcome: RequestOutcome) => void
}

/** A request a peer sent us that is being served. */
export interface IncomingRequest {
  cancelled: boolean
}

export interface PeerSessionOptions {
  connection: Connection
  hello: HelloMessage
  helloTimeout: number
  clock: Clock
  /**
   * Called synchronously when the peer's hello arrives, before any later message is handled.
   * Returns the session to use for this peer: itself, or an existing one if this connection is a
   * duplicate (this one is then closed), or undefined if the peer was refused (the callback closes
   * the session with the reason).
   */
  onHello: (session: PeerSession) => PeerSession | undefined
  /** Called with every message after the handshake. */
  onMessage: (session: PeerSession, message: WireMessage) => void
  /** Called once when the connection closes (after the handshake completed or not). */
  onClose: (session: PeerSession, error?: Error) => void
}

/**
 * One connected peer: the handshake, request bookkeeping in both directions and per-peer
 * statistics. It knows nothing about contents beyond the holdings map the engine fills.
 */
export class PeerSession {
  readonly connection: Connection
  /** The peer's hello, once received. */
  remoteHello?: HelloMessage
  /** Set when the connection has closed. */
  closed = false
  /** Why the connection closed, if it failed. */
  closeError?: Error

  /** The peer has choked us: our requests would be rejected. Every connection starts choked both ways. */
  peerChoking = true
  /** When the peer last choked us (the connection's start at first). */
  chokedAt: number
  /** We have choked the peer. */
  amChoking = true
  /** Contents we told the peer we are interested in (by CID string). */
  readonly amInterested = new Set<string>()
  /** Contents the peer said it is interested in (by CID string). */
  readonly peerInterested = new Set<string>()
  /** When we became interested in the peer (in any content); undefined while we are not. */
  interestedSince?: number
  /** When the peer last sent us a data message (a chunk or block); the connection's start at first. */
  lastDataAt: number

  /** What the peer has, per content (by CID string). */
  readonly holdings = new Map<string, PeerHoldings>()
  /** Contents we already sent our bitfield for. */
  readonly bitfieldSent = new Set<string>()

  /** Payload bytes received in data messages, chunks and manifest blocks (download from this peer). */
  readonly downloaded: RateMeter
  /** Payload bytes sent in data messages, chunks and manifest blocks (upload to this peer). */
  readonly uploaded: RateMeter
  /** Chunks from this peer that failed verification. */
  badChunks = 0
  /** Requests to this peer that timed out. */
  timeouts = 0

  readonly outgoing = new Map<number, OutgoingRequest>()
  readonly incoming = new Map<number, IncomingRequest>()
  /**
   * Uploads to this peer run one after another: each waits for the previous answer to be sent and
   * for the send buffer to drain, so a peer that does not read cannot make us queue data.
   */
  uploadQueue: Promise<void> = Promise.resolve()

  private nextRequestId = 1
  private readonly options: PeerSessionOptions
  private readonly handshake: Promise<PeerSession>
  private resolveHandshake!: (kept: PeerSession) => void
  private rejectHandshake!: (err: Error) => void
  private helloTimer?: ReturnType<typeof setTimeout>

  constructor (options: PeerSessionOptions) {
    this.options = options
    this.connection = options.connection
    this.chokedAt = options.clock()
    this.lastDataAt = this.chokedAt
    this.downloaded = new RateMeter({ clock: options.clock })
    this.uploaded = new RateMeter({ clock: options.clock })
    this.handshake = new Promise((resolve, reject) => {
      this.resolveHandshake = resolve
      this.rejectHandshake = reject
    })
    this.handshake.catch(() => {})
  }

  /** The peer id the peer claimed in its hello (or the transport authenticated). */
  get peerId (): string {
    return this.remoteHello?.peerId ?? '(handshaking)'
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
    this.helloTimer = setTimeout(() => {
      this.close(new TimeoutError(`Peer at ${this.connection.remoteAddress} sent no hello within ${this.options.helloTimeout} ms`))
    }, this.options.helloTimeout)
    this.helloTimer.unref?.()
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
    return now - Math.max(this.interestedSince, this.lastDataAt) >= timeout
  }

  /** Records that the peer chokes us (a `choke` message, or a request rejected as choked). */
  markChoked (): void {
    if (!this.peerChoking) this.chokedAt = this.options.clock()
    this.peerChoking = true
  }

  /** Sends a message; returns false (and does nothing) if the connection is closed. Data payloads count as uploaded. */
  send (message: WireMessage, sent?: () => void): boolean {
    if (this.closed) return false
    try {
      this.connection.send(message, sent)
      if (message.type === 'data') this.uploaded.add(message.bytes.length)
      return true
    } catch (err) {
      this.close(err as Error)
      return false
    }
  }

  /** Sends a request and tracks it until `settle()`, a reply or the connection closing. */
  request (message: RequestWithoutId, timeout: number, onOutcome: (outcome: RequestOutcome) => void): OutgoingRequest | undefined {
    if (this.closed) return undefined
    const id = this.nextRequestId
    this.nextRequestId = this.nextRequestId >= 0xffffffff ? 1 : this.nextRequestId + 1
    const full = { ...message, id } as RequestMessage
    const now = this.options.clock()
    const request: OutgoingRequest = { id, deadline: now + timeout, onOutcome }
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

  /** Closes the connection (with a goodbye when a reason code is given). */
  close (error?: Error, goodbye?: { code: GoodbyeCode, reason: string }): void {
    if (this.closed) return
    if (goodbye !== undefined) this.send({ type: 'goodbye', code: goodbye.code, reason: goodbye.reason.slice(0, 512) })
    this.connection.close(error)
    // Transports call onClose; make sure our state is final even if one does not do it synchronously.
    this.handleClose(error)
  }

  private receive (message: WireMessage): void {
    if (this.closed) return
    if (this.remoteHello === undefined) {
      this.receiveHello(message)
      return
    }
    switch (message.type) {
      case 'data': {
        const request = this.outgoing.get(message.id)
        if (request === undefined) return // answer to a cancelled or timed-out request
        this.outgoing.delete(message.id)
        this.downloaded.add(message.bytes.length)
        this.lastDataAt = this.options.clock()
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
        this.peerChoking = false
        break
    }
    this.options.onMessage(this, message)
  }

  private receiveHello (message: WireMessage): void {
    if (message.type !== 'hello') {
      this.close(new ProtocolError(`Peer at ${this.connection.remoteAddress} sent ${message.type} before hello`), { code: GoodbyeCode.ProtocolError, reason: 'expected hello' })
      return
    }
    if (message.version !== PROTOCOL_VERSION) {
      this.close(new ProtocolError(`Peer at ${this.connection.remoteAddress} speaks protocol version ${message.version}; this node speaks ${PROTOCOL_VERSION}`), { code: GoodbyeCode.ProtocolError, reason: `unsupported version ${message.version}` })
      return
    }
    const authenticated = this.connection.remotePeerId
    if (authenticated !== undefined && authenticated !== message.peerId) {
      this.close(new ProtocolError(`Peer at ${this.connection.remoteAddress} claims id ${message.peerId} but authenticated as ${authenticated}`), { code: GoodbyeCode.ProtocolError, reason: 'peer id mismatch' })
      return
    }
    if (message.peerId.length === 0 || message.peerId.length > 256) {
      this.close(new ProtocolError(`Peer at ${this.connection.remoteAddress} sent an invalid peer id`), { code: GoodbyeCode.ProtocolError, reason: 'invalid peer id' })
      return
    }
    this.remoteHello = message
    clearTimeout(this.helloTimer)
    const kept = this.options.onHello(this)
    if (kept === undefined) {
      // Refused (onHello closed it with the reason); make sure it is closed.
      this.close(new ProtocolError(`Peer ${message.peerId} at ${this.connection.remoteAddress} was refused`))
      return
    }
    this.resolveHandshake(kept)
    if (kept !== this) this.close(undefined, { code: GoodbyeCode.DuplicateConnection, reason: 'duplicate connection' })
  }

  private handleClose (error?: Error): void {
    if (this.closed) return
    this.closed = true
    this.closeError = error
    clearTimeout(this.helloTimer)
    const reason = error ?? new ConnectionClosedError(`Connection to ${this.remoteHello?.peerId ?? this.connection.remoteAddress} closed`)
    this.rejectHandshake(reason)
    const pending = [...this.outgoing.values()]
    this.outgoing.clear()
    for (const incoming of this.incoming.values()) incoming.cancelled = true
    this.incoming.clear()
    for (const request of pending) {
      request.onOutcome({ ok: false, error: new ConnectionClosedError(`Connection to ${this.peerId} closed before request ${request.id} was answered`, { cause: error }) })
    }
    this.options.onClose(this, error)
  }
}
