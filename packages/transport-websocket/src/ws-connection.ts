import { ConnectionClosedError, PeerIdMismatchError, ProtocolError, TimeoutError } from '@codio-chunk/interface'
import { ConnectionState, FrameDecoder, RequestLedger, admitLargeFrame, decodeFrame, encodeMessage } from '@codio-chunk/protocol'
import type { AbortOptions, BufferPool, Connection, ConnectionHandler, Identity, Logger, WireMessage } from '@codio-chunk/interface'
import { AuthHandshake, CloseCode, HandshakeError } from './handshake.js'
import type { HandshakeRole } from './handshake.js'
import { MAX_MESSAGE_BYTES, closeReason } from './message-socket.js'
import type { MessageSocket } from './message-socket.js'

/** Settings a {@link WsConnection} takes from its transport. */
export interface WsConnectionOptions {
  direction: 'inbound' | 'outbound'
  remoteAddress: string
  localAddress: string
  /** This node's key, which proves its peer id in the handshake. */
  identity: Identity
  /** The peer id the dialler expects (outbound only); another one fails the handshake. */
  expectedPeerId?: string
  maxFrameSize: number
  buffers: BufferPool
  logger: Logger
  /** Milliseconds the authentication handshake may take. */
  handshakeTimeout: number
  /** Milliseconds a peer may stop sending in the middle of a frame. */
  frameTimeout: number
  /** Milliseconds a closing connection waits for the peer's close before dropping the socket. */
  closeTimeout: number
  /** Queued bytes at or above which `drain()` waits. */
  highWaterMark: number
}

/** Parts up to this size are copied together into one message; larger ones are sent as views. */
const COALESCE_BYTES = 16 * 1024
/** How often `drain()` looks at the socket's queue where no send callback tells (browsers). */
const DRAIN_POLL_MS = 4
/** Messages a connection keeps before `start()` (browsers cannot stop reading), in bytes. */
const MAX_EARLY_BYTES = 4 * 1024 * 1024 + 64 * 1024

interface Outgoing {
  bytes: Uint8Array
  sent?: () => void
}

const unref = (timer: unknown): void => { (timer as { unref?: () => void }).unref?.() }

/**
 * A {@link Connection} over one WebSocket: first the authentication handshake (a challenge and a
 * signed proof each way, `ready` resolves with the proven peer id), then codio-chunk frames, which
 * WebSocket messages carry as a byte stream (a message may hold several frames or part of one;
 * none is over {@link MAX_MESSAGE_BYTES}). Used by the Node.js and browser transports alike.
 */
export class WsConnection implements Connection {
  readonly remoteAddress: string
  readonly localAddress: string
  readonly direction: 'inbound' | 'outbound'
  /** Resolves with the peer id the peer proved; rejects if the handshake fails. */
  readonly ready: Promise<string>
  private proven: string | undefined

  private readonly socket: MessageSocket
  private readonly options: WsConnectionOptions
  private readonly log: Logger
  private readonly state: ConnectionState
  private readonly decoder: FrameDecoder
  private readonly ledger = new RequestLedger()
  private handshake: AuthHandshake | undefined
  private settleReady!: { resolve: (peerId: string) => void, reject: (err: Error) => void }
  private early: Uint8Array[] = []
  private earlyBytes = 0
  /** start() was called and the early messages are about to be handed over. */
  private earlyPending = false
  private outgoing: Outgoing[] = []
  private outgoingBytes = 0
  private flushQueued = false
  private lastBytesAt = 0
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined
  private stallTimer: ReturnType<typeof setInterval> | undefined
  private drainTimer: ReturnType<typeof setInterval> | undefined
  private closeTimer: ReturnType<typeof setTimeout> | undefined
  private socketClosed = false

  constructor (socket: MessageSocket, options: WsConnectionOptions) {
    this.socket = socket
    this.options = options
    this.direction = options.direction
    this.remoteAddress = options.remoteAddress
    this.localAddress = options.localAddress
    this.log = options.logger
    this.state = new ConnectionState(this, this.log)
    this.decoder = new FrameDecoder({
      maxFrameSize: options.maxFrameSize,
      buffers: options.buffers,
      admit: (length, head) => admitLargeFrame(length, head, (id) => this.ledger.answerState(id))
    })
    this.ready = new Promise<string>((resolve, reject) => { this.settleReady = { resolve, reject } })
    // A failed handshake is reported through `ready`; nobody may be listening yet.
    this.ready.catch(() => {})
    const role: HandshakeRole = options.direction === 'outbound' ? 'dialler' : 'listener'
    this.handshake = new AuthHandshake(options.identity, role)
    socket.attach({ message: this.onMessage, text: this.onText, close: this.onSocketClose, error: this.onSocketError })
    this.handshakeTimer = setTimeout(() => {
      this.abortHandshake(new TimeoutError(`No WebSocket handshake with ${this.remoteAddress} within ${options.handshakeTimeout} ms`), CloseCode.HandshakeTimeout)
    }, options.handshakeTimeout)
    unref(this.handshakeTimer)
    socket.send(this.handshake.challenge())
  }

  /** The peer id the peer proved in the handshake (set before the connection is handed out). */
  get remotePeerId (): string | undefined {
    return this.proven
  }

  get bufferedBytes (): number {
    return this.socket.bufferedAmount + this.outgoingBytes
  }

  get closed (): boolean {
    return this.state.closed
  }

  start (handler: ConnectionHandler): void {
    if (!this.state.start(handler)) return
    this.lastBytesAt = performance.now()
    this.stallTimer = setInterval(this.checkStall, Math.max(10, Math.floor(this.options.frameTimeout / 3)))
    unref(this.stallTimer)
    // Messages that came before start() are handed over after it returns, as a socket's would be.
    this.earlyPending = true
    queueMicrotask(() => {
      this.earlyPending = false
      const early = this.early
      this.early = []
      this.earlyBytes = 0
      for (const bytes of early) {
        if (this.state.closed) return
        this.push(bytes)
      }
      this.socket.resume()
    })
  }

  send (message: WireMessage, sent?: () => void): void {
    if (this.state.closed) throw this.state.sendError(message)
    const parts = encodeMessage(message)
    this.ledger.sending(message)
    const last = parts.length - 1
    for (let i = 0; i <= last; i++) {
      this.outgoing.push(i === last && sent !== undefined ? { bytes: parts[i], sent } : { bytes: parts[i] })
      this.outgoingBytes += parts[i].length
    }
    if (!this.flushQueued) {
      // Everything sent in this turn leaves together: small frames share messages.
      this.flushQueued = true
      queueMicrotask(this.flush)
    }
  }

  async drain (options: AbortOptions = {}): Promise<void> {
    const full = this.needsDrain()
    const waiting = this.state.drain(full, options.signal)
    if (full && this.drainTimer === undefined && !this.state.closed) {
      this.drainTimer = setInterval(this.checkDrain, DRAIN_POLL_MS)
      unref(this.drainTimer)
    }
    await waiting
  }

  close (error?: Error): void {
    if (this.handshake !== undefined) {
      this.abortHandshake(error ?? new ConnectionClosedError(`The connection to ${this.remoteAddress} was closed during its handshake`), CloseCode.Normal)
      return
    }
    if (!this.state.markClosed(error)) return
    this.flush()
    this.stopTimers()
    this.closeSocket(CloseCode.Normal, error?.message ?? '')
  }

  private needsDrain (): boolean {
    return this.bufferedBytes >= this.options.highWaterMark
  }

  private readonly checkDrain = (): void => {
    if (!this.state.draining || this.state.closed) {
      clearInterval(this.drainTimer)
      this.drainTimer = undefined
      return
    }
    if (this.needsDrain()) return
    clearInterval(this.drainTimer)
    this.drainTimer = undefined
    this.state.drained()
  }

  /** Sends what `send` queued: small parts copied together, large ones in views of at most one message each. */
  private readonly flush = (): void => {
    this.flushQueued = false
    const items = this.outgoing
    if (items.length === 0) return
    this.outgoing = []
    this.outgoingBytes = 0
    if (this.socketClosed) {
      for (const item of items) item.sent?.()
      return
    }
    let run: Outgoing[] = []
    let runBytes = 0
    const sendRun = (): void => {
      if (run.length === 1) this.sendView(run[0].bytes, run[0].sent)
      else if (run.length > 1) {
        const bytes = new Uint8Array(runBytes)
        let offset = 0
        for (const item of run) {
          bytes.set(item.bytes, offset)
          offset += item.bytes.length
        }
        this.socket.send(bytes)
        for (const item of run) item.sent?.()
      }
      run = []
      runBytes = 0
    }
    for (const item of items) {
      const length = item.bytes.length
      if (length <= COALESCE_BYTES) {
        if (runBytes + length > MAX_MESSAGE_BYTES) sendRun()
        run.push(item)
        runBytes += length
        continue
      }
      sendRun()
      this.sendView(item.bytes, item.sent)
    }
    sendRun()
  }

  /** Sends `bytes` as they are, in messages of at most {@link MAX_MESSAGE_BYTES}; `sent` after the last has left. */
  private sendView (bytes: Uint8Array, sent: (() => void) | undefined): void {
    const socket = this.socket
    for (let offset = 0; offset < bytes.length || offset === 0; offset += MAX_MESSAGE_BYTES) {
      const end = Math.min(bytes.length, offset + MAX_MESSAGE_BYTES)
      const piece = offset === 0 && end === bytes.length ? bytes : bytes.subarray(offset, end)
      if (end < bytes.length || !socket.sendCallbacks) socket.send(piece)
      else socket.send(piece, this.sentCallback(sent))
      if (end >= bytes.length) break
    }
  }

  private sentCallback (sent: (() => void) | undefined): () => void {
    return () => {
      sent?.()
      if (this.drainTimer !== undefined) this.checkDrain()
    }
  }

  private readonly onMessage = (bytes: Uint8Array): void => {
    if (this.socketClosed || (this.state.closed && this.handshake === undefined)) return
    if (bytes.length > MAX_MESSAGE_BYTES) {
      this.failAny(new ProtocolError(`The peer at ${this.remoteAddress} sent a WebSocket message of ${bytes.length} bytes; messages are at most ${MAX_MESSAGE_BYTES}. Disconnected`))
      return
    }
    this.lastBytesAt = performance.now()
    if (this.handshake !== undefined) {
      this.onHandshakeMessage(this.handshake, bytes)
      return
    }
    if (!this.state.started || this.earlyPending) {
      this.earlyBytes += bytes.length
      if (this.earlyBytes > MAX_EARLY_BYTES) {
        this.failAny(new ProtocolError(`The peer at ${this.remoteAddress} sent more than ${MAX_EARLY_BYTES} bytes before the connection was started. Disconnected`))
        return
      }
      this.early.push(bytes)
      return
    }
    this.push(bytes)
  }

  private onHandshakeMessage (handshake: AuthHandshake, bytes: Uint8Array): void {
    let step
    try {
      step = handshake.receive(bytes)
    } catch (err) {
      this.abortHandshake(err as Error, CloseCode.HandshakeRefused)
      return
    }
    if (step.send !== undefined) this.socket.send(step.send)
    if (step.peerId === undefined) return
    const expected = this.options.expectedPeerId
    if (expected !== undefined && expected !== step.peerId) {
      this.abortHandshake(new PeerIdMismatchError(`Expected peer ${expected} at ${this.remoteAddress}, but the peer there proved it is ${step.peerId}`), CloseCode.PeerIdMismatch)
      return
    }
    clearTimeout(this.handshakeTimer)
    this.handshake = undefined
    this.proven = step.peerId
    // Nothing more is read until start(): messages already in are kept for it.
    this.socket.pause()
    this.settleReady.resolve(step.peerId)
  }

  /** Ends a connection whose handshake has not completed: `ready` rejects, the peer is told why. */
  private abortHandshake (error: Error, code: number): void {
    if (this.handshake === undefined) return
    this.handshake = undefined
    clearTimeout(this.handshakeTimer)
    this.log('handshake with %s failed: %s', this.remoteAddress, error.message)
    this.state.markClosed(error)
    this.settleReady.reject(error)
    this.stopTimers()
    this.closeSocket(code, error.message)
  }

  private push (bytes: Uint8Array): void {
    try {
      this.decoder.push(bytes, this.onFrame)
    } catch (err) {
      if (!this.state.closed) this.fail(err instanceof ProtocolError ? err : new ProtocolError('Could not read a frame from the peer', { cause: err }))
    }
  }

  private readonly onFrame = (frame: Uint8Array): void => {
    if (this.state.closed) return
    let message: WireMessage
    try {
      message = decodeFrame(frame)
    } catch (err) {
      this.fail(err as ProtocolError)
      return
    }
    this.ledger.received(message)
    this.state.deliver(message)
  }

  private readonly onText = (): void => {
    this.failAny(new ProtocolError(`The peer at ${this.remoteAddress} sent a text WebSocket message; codio-chunk sends binary messages only. Disconnected`))
  }

  /** A protocol error in any phase: during the handshake it fails the handshake, after it the connection. */
  private failAny (error: ProtocolError): void {
    if (this.handshake !== undefined) this.abortHandshake(error instanceof HandshakeError ? error : new HandshakeError(error.message, { cause: error }), CloseCode.HandshakeRefused)
    else this.fail(error)
  }

  private fail (error: ProtocolError): void {
    this.stopTimers()
    this.state.fail(error)
  }

  private readonly checkStall = (): void => {
    if (this.state.closed || !this.decoder.midFrame) return
    const silent = performance.now() - this.lastBytesAt
    if (silent >= this.options.frameTimeout) {
      this.fail(new ProtocolError(`The peer at ${this.remoteAddress} stopped sending for ${Math.round(silent)} ms in the middle of a frame (${this.decoder.bufferedBytes} bytes of it in). Disconnected`))
    }
  }

  private readonly onSocketError = (err: Error): void => {
    this.log('websocket error on %s: %s', this.remoteAddress, err.message)
    const code = (err as { code?: unknown }).code
    // `ws` reports a peer breaking WebSocket's own rules (a message over the size limit, a bad frame) as errors with a WS_ERR_ code.
    const broke = typeof code === 'string' && code.startsWith('WS_ERR_')
    const error = broke
      ? new ProtocolError(`The peer at ${this.remoteAddress} broke the WebSocket protocol: ${err.message}`, { cause: err })
      : new ConnectionClosedError(`The connection to ${this.remoteAddress} failed: ${err.message}`, { cause: err })
    this.closeByPeer(error)
  }

  private readonly onSocketClose = (code: number, reason: string): void => {
    this.socketClosed = true
    clearTimeout(this.closeTimer)
    const why = `code ${code}${reason === '' ? '' : `: ${reason}`}`
    this.closeByPeer(new ConnectionClosedError(`The peer at ${this.remoteAddress} closed the connection (${why})`))
  }

  private closeByPeer (error: Error): void {
    if (this.handshake !== undefined) {
      this.abortHandshake(error instanceof ProtocolError ? error : new ConnectionClosedError(`The connection to ${this.remoteAddress} closed during the WebSocket handshake: ${error.message}`, { cause: error }), CloseCode.HandshakeRefused)
      return
    }
    if (!this.state.markClosed(error)) return
    this.stopTimers()
    // Queued messages can no longer leave: their buffers are free.
    this.flush()
    if (!this.socketClosed) this.closeSocket(CloseCode.Normal, '')
  }

  private closeSocket (code: number, reason: string): void {
    if (this.socketClosed) return
    try {
      this.socket.close(code, closeReason(reason))
    } catch {
      this.socket.terminate()
      return
    }
    if (this.closeTimer === undefined) {
      this.closeTimer = setTimeout(() => this.socket.terminate(), this.options.closeTimeout)
      unref(this.closeTimer)
    }
  }

  private stopTimers (): void {
    clearInterval(this.stallTimer)
    clearInterval(this.drainTimer)
    this.drainTimer = undefined
  }
}
