import { events as quicEvents } from '@matrixai/quic'
import { ConnectionClosedError, ProtocolError } from '@codio-chunk/interface'
import { ConnectionState, FrameDecoder, RequestLedger, admitLargeFrame, decodeFrame, encodeMessage } from '@codio-chunk/protocol'
import { ResponseAssembler } from './response-reader.js'
import type { QUICConnection, QUICStream } from '@matrixai/quic'
import type { AbortOptions, BufferPool, Connection, ConnectionHandler, Logger, WireMessage } from '@codio-chunk/interface'
import type { ResponseHead } from './response-reader.js'

/** Settings a {@link QuicConnection} needs from its transport. */
export interface QuicConnectionOptions {
  direction: 'inbound' | 'outbound'
  remoteAddress: string
  localAddress: string
  /** The peer id the peer's certificate proved. */
  remotePeerId: string
  maxFrameSize: number
  /** The node's chunk buffer pool, large frames are read into. */
  buffers: BufferPool
  /** Bytes queued for sending above which `drain()` waits. */
  highWaterMark: number
  /** Milliseconds a closing connection waits for the peer to acknowledge before it is torn down. */
  closeTimeout: number
  logger: Logger
  /** Tears the QUIC connection down (closing the dialler's socket too). Must not throw. */
  destroy: (code: number, reason: string) => Promise<void>
}

/** Application error codes of CONNECTION_CLOSE. */
const CLOSE_NORMAL = 0
const CLOSE_PROTOCOL_ERROR = 1
/** Parts smaller than this are copied together into one write; larger ones are written as they are. */
const COALESCE_BELOW = 16 * 1024

/** Members of the library's connection that its type declarations leave out (marked internal). */
interface QuicInternals {
  streamMap: Map<number, QUICStream>
  conn: { peerStreamsLeftUni: () => number }
}

/**
 * A {@link Connection} over one QUIC connection. Each side sends on one unidirectional control
 * stream (its first) every message in order — requests included — except answers to the peer's
 * requests: each `data` or `reject` answering a request goes on a unidirectional stream of its own,
 * so a lost packet of one chunk never holds up another. Frames are the codio-chunk frames of
 * PROTOCOL.md (`u32` length, type, payload).
 */
export class QuicConnection implements Connection {
  readonly remoteAddress: string
  readonly localAddress: string
  readonly direction: 'inbound' | 'outbound'
  readonly remotePeerId: string

  private readonly quic: QUICConnection
  private readonly options: QuicConnectionOptions
  private readonly log: Logger
  private readonly peerControlId: number
  private readonly controlWriter: WritableStreamDefaultWriter<Uint8Array>
  private readonly decoder: FrameDecoder
  private readonly state: ConnectionState
  private destroyed = false
  private closeTimer: ReturnType<typeof setTimeout> | undefined
  /** Peer streams that arrived before start(). */
  private waitingStreams: QUICStream[] = []
  /** Control-stream parts waiting for the end of this tick. */
  private corked: Uint8Array[] = []
  private corkedBytes = 0
  /** Bytes handed to stream writers and not yet taken by QUIC. */
  private writing = 0
  /** Open requests both ways: the peer's get answers on streams of their own; ours are the only ids a response stream may carry. */
  private readonly requests = new RequestLedger()
  /** Response streams being read, by request id. */
  private readonly responses = new Map<number, QUICStream>()

  constructor (quic: QUICConnection, options: QuicConnectionOptions) {
    this.quic = quic
    this.options = options
    this.direction = options.direction
    this.remoteAddress = options.remoteAddress
    this.localAddress = options.localAddress
    this.remotePeerId = options.remotePeerId
    this.log = options.logger
    this.state = new ConnectionState(this, this.log)
    // The control stream assembles a long frame only if it is a bitfield, or an answer to one of our requests.
    this.decoder = new FrameDecoder({
      maxFrameSize: options.maxFrameSize,
      buffers: options.buffers,
      admit: (length, head) => admitLargeFrame(length, head, (id) => this.requests.answerState(id))
    })
    // The peer's first unidirectional stream: 2 when the peer is the client, 3 when it is the server.
    this.peerControlId = quic.type === 'client' ? 3 : 2
    // Our own first unidirectional stream is our control stream.
    this.controlWriter = quic.newStream('uni').writable.getWriter()
    this.controlWriter.closed.catch(() => {})
    quic.addEventListener(quicEvents.EventQUICConnectionStream.name, this.onStream)
    quic.addEventListener(quicEvents.EventQUICConnectionError.name, this.onQuicError)
    quic.addEventListener(quicEvents.EventQUICConnectionStopped.name, this.onQuicStopped, { once: true })
    // Streams the peer opened before this object existed.
    for (const stream of (quic as unknown as QuicInternals).streamMap.values()) {
      if (stream.initiated === 'peer') this.waitingStreams.push(stream)
    }
  }

  get bufferedBytes (): number {
    return this.writing + this.corkedBytes
  }

  get closed (): boolean {
    return this.state.closed
  }

  private get isClosed (): boolean {
    return this.state.closed
  }

  start (handler: ConnectionHandler): void {
    if (!this.state.start(handler)) return
    const waiting = this.waitingStreams
    this.waitingStreams = []
    for (const stream of waiting) this.adopt(stream)
  }

  send (message: WireMessage): void {
    if (this.isClosed) throw this.state.sendError(message)
    const parts = encodeMessage(message)
    // An answer to an open request of the peer goes on a stream of its own when one can be opened.
    if (this.requests.sending(message) && this.sendOnOwnStream(parts)) return
    if (message.type === 'cancel') this.responses.get(message.id)?.cancel(undefined)
    this.cork(parts)
  }

  async drain (options: AbortOptions = {}): Promise<void> {
    await this.state.drain(this.bufferedBytes >= this.options.highWaterMark, options.signal)
  }

  close (error?: Error): void {
    if (!this.markClosed(error)) return
    // Send what is queued (a goodbye, say), then end the control stream: the peer answers by
    // closing the QUIC connection. A peer that does not gets a bounded wait.
    this.uncork()
    this.controlWriter.close().catch(() => {})
    this.closeTimer = setTimeout(() => { void this.destroy(error instanceof ProtocolError ? CLOSE_PROTOCOL_ERROR : CLOSE_NORMAL, error?.message ?? '') }, this.options.closeTimeout)
    this.closeTimer.unref?.()
  }

  /** Sends an answer on a new stream of its own. False if no stream can be opened now. */
  private sendOnOwnStream (parts: Uint8Array[]): boolean {
    let stream: QUICStream
    try {
      if ((this.quic as unknown as QuicInternals).conn.peerStreamsLeftUni() === 0) return false
      stream = this.quic.newStream('uni')
    } catch (err) {
      this.log('cannot open a response stream to %s: %s', this.remoteAddress, (err as Error)?.message)
      return false
    }
    const writer = stream.writable.getWriter()
    for (const part of parts) this.write(writer, part)
    writer.close().catch(() => {})
    return true
  }

  private cork (parts: Uint8Array[]): void {
    if (this.corked.length === 0) process.nextTick(this.uncork)
    for (const part of parts) {
      this.corked.push(part)
      this.corkedBytes += part.length
    }
  }

  /** Writes everything queued on the control stream: small parts copied together, large ones as they are. */
  private readonly uncork = (): void => {
    const parts = this.corked
    if (parts.length === 0) return
    this.corked = []
    this.corkedBytes = 0
    let run: Uint8Array[] = []
    let runBytes = 0
    const flushRun = (): void => {
      if (run.length === 0) return
      this.write(this.controlWriter, run.length === 1 ? run[0] : Buffer.concat(run, runBytes))
      run = []
      runBytes = 0
    }
    for (const part of parts) {
      if (part.length >= COALESCE_BELOW) {
        flushRun()
        this.write(this.controlWriter, part)
      } else {
        run.push(part)
        runBytes += part.length
      }
    }
    flushRun()
  }

  private write (writer: WritableStreamDefaultWriter<Uint8Array>, bytes: Uint8Array): void {
    if (bytes.length === 0) return
    this.writing += bytes.length
    writer.write(bytes).then(() => {
      this.writing -= bytes.length
      this.wakeDrainWaiters()
    }, () => {
      this.writing -= bytes.length
    })
  }

  private wakeDrainWaiters (): void {
    if (!this.state.draining || this.bufferedBytes >= this.options.highWaterMark) return
    this.state.drained()
  }

  private readonly onStream = (evt: Event): void => {
    const stream = (evt as quicEvents.EventQUICConnectionStream).detail
    if (!this.state.started) this.waitingStreams.push(stream)
    else this.adopt(stream)
  }

  private adopt (stream: QUICStream): void {
    if (this.isClosed) return
    if (stream.type !== 'uni') {
      stream.cancel(undefined)
      return
    }
    if (stream.streamId === this.peerControlId) void this.readControl(stream)
    else void this.readResponse(stream)
  }

  private async readControl (stream: QUICStream): Promise<void> {
    const reader = stream.readable.getReader()
    try {
      while (!this.isClosed) {
        const { value, done } = await reader.read()
        if (done) {
          this.closeByPeer(new ConnectionClosedError(`The peer at ${this.remoteAddress} closed the connection`))
          return
        }
        if (this.isClosed) return
        this.decoder.push(value, this.onControlFrame)
      }
    } catch (err) {
      if (this.isClosed) return
      if (err instanceof ProtocolError) this.fail(err)
      else this.closeByPeer(new ConnectionClosedError(`The connection to ${this.remoteAddress} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err }))
    } finally {
      reader.releaseLock()
    }
  }

  private readonly onControlFrame = (frame: Uint8Array): void => {
    if (this.isClosed) return
    const message = decodeFrame(frame)
    this.requests.received(message)
    this.deliver(message)
  }

  private async readResponse (stream: QUICStream): Promise<void> {
    const assembler = new ResponseAssembler(this.options.maxFrameSize, this.acceptResponse)
    const reader = stream.readable.getReader()
    try {
      while (!this.isClosed) {
        const { value, done } = await reader.read()
        if (done) {
          if (!assembler.complete && !assembler.isRefused) throw new ProtocolError(`The peer at ${this.remoteAddress} ended a response stream before its frame was complete. Disconnect it`)
          return
        }
        const frame = assembler.push(value)
        if (assembler.isRefused) {
          // An answer to a request we cancelled (or never made): not wanted.
          await reader.cancel()
          return
        }
        if (assembler.head !== undefined && !this.responses.has(assembler.head.id)) this.responses.set(assembler.head.id, stream)
        if (frame !== undefined) {
          this.responses.delete(assembler.head?.id as number)
          if (this.isClosed) return
          const message = decodeFrame(frame)
          this.requests.answered((message as { id: number }).id)
          this.deliver(message)
        }
      }
    } catch (err) {
      if (assembler.head !== undefined) this.responses.delete(assembler.head.id)
      if (this.isClosed) return
      if (err instanceof ProtocolError) this.fail(err)
      // A stream we stopped (a cancel) or the connection closing: nothing to report here.
    } finally {
      reader.releaseLock()
    }
  }

  /** Only answers to requests we are waiting for, one stream per request, are read. */
  private readonly acceptResponse = (head: ResponseHead): boolean => {
    return this.requests.awaits(head.id) && !this.responses.has(head.id)
  }

  private deliver (message: WireMessage): void {
    this.state.deliver(message)
  }

  private fail (error: ProtocolError): void {
    this.state.fail(error)
  }

  private readonly onQuicError = (evt: Event): void => {
    const error = (evt as quicEvents.EventQUICConnectionError).detail as Error & { data?: { errorCode?: number, reason?: Uint8Array } }
    if (this.isClosed) return
    const reason = error.data?.reason !== undefined && error.data.reason.length > 0 ? `: ${Buffer.from(error.data.reason).toString('utf8').slice(0, 200)}` : ''
    const what = error instanceof Error && error.constructor.name === 'ErrorQUICConnectionIdleTimeout'
      ? `The peer at ${this.remoteAddress} stopped answering (QUIC idle timeout)`
      : `The connection to ${this.remoteAddress} was closed (${error.message}${reason})`
    this.closeByPeer(new ConnectionClosedError(what, { cause: error }))
  }

  private readonly onQuicStopped = (): void => {
    clearTimeout(this.closeTimer)
    this.destroyed = true
    this.detach()
    this.closeByPeer(new ConnectionClosedError(`The connection to ${this.remoteAddress} was closed`))
  }

  private closeByPeer (error: ConnectionClosedError): void {
    if (!this.markClosed(error)) return
    void this.destroy(CLOSE_NORMAL, '')
  }

  private async destroy (code: number, reason: string): Promise<void> {
    clearTimeout(this.closeTimer)
    if (this.destroyed) return
    this.destroyed = true
    this.detach()
    await this.options.destroy(code, reason)
  }

  private detach (): void {
    this.quic.removeEventListener(quicEvents.EventQUICConnectionStream.name, this.onStream)
    this.quic.removeEventListener(quicEvents.EventQUICConnectionError.name, this.onQuicError)
  }

  /** Records the close (false if already closed); streams never adopted are dropped. */
  private markClosed (error: Error | undefined): boolean {
    if (!this.state.markClosed(error)) return false
    this.waitingStreams = []
    return true
  }
}
