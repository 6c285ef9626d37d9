import { ConnectionClosedError, ProtocolError } from '@codio-chunk/interface'
import { ConnectionState, FrameDecoder, RequestLedger, admitLargeFrame, decodeFrame, encodeMessage } from '@codio-chunk/protocol'
import { expectEnd, readResponse } from './response-reader.js'
import { StreamKind } from './stream-kind.js'
import { StreamWriter } from './stream-writer.js'
import type { AbortOptions, BufferPool, Connection, ConnectionHandler, Logger, WireMessage } from '@codio-chunk/interface'
import type { NativeConnection, NativeStream } from './native.js'
import type { ResponseHead } from './response-reader.js'

/** Settings a {@link QuinnConnection} needs from its transport. */
export interface QuinnConnectionOptions {
  direction: 'inbound' | 'outbound'
  remoteAddress: string
  localAddress: string
  /** The peer id libp2p TLS proved. */
  remotePeerId: string
  maxFrameSize: number
  /** The node's chunk buffer pool, large frames are read into. */
  buffers: BufferPool
  /** Bytes queued for sending above which `drain()` waits. */
  highWaterMark: number
  /** Milliseconds a closing connection waits for the peer before it is torn down. */
  closeTimeout: number
  logger: Logger
  /** Runs once the native connection is gone (to release its endpoint). Must not throw. */
  onGone: () => void
}

/** Bytes asked for per read of the control stream. */
const CONTROL_READ = 64 * 1024
/** The first read of a peer's stream: its kind byte and, for a response, its head and more. */
const FIRST_READ = 64 * 1024
const KIND_RESPONSE = Uint8Array.of(StreamKind.response)

/**
 * A {@link Connection} over one quinn QUIC connection. The dialler's first bidirectional stream
 * is the control stream: each side sends on its half every message in order (requests included),
 * except answers to the peer's requests: each `data` or `reject` answering a request goes on a
 * bidirectional stream of its own, opened by the answering side, so a lost packet of one chunk
 * never holds up another. Frames are the codio-chunk frames of PROTOCOL.md.
 */
export class QuinnConnection implements Connection {
  readonly remoteAddress: string
  readonly localAddress: string
  readonly direction: 'inbound' | 'outbound'
  readonly remotePeerId: string

  private readonly native: NativeConnection
  private readonly control: NativeStream
  private readonly controlWriter: StreamWriter
  private readonly options: QuinnConnectionOptions
  private readonly log: Logger
  private readonly decoder: FrameDecoder
  private readonly state: ConnectionState
  private gone = false
  private closeTimer: ReturnType<typeof setTimeout> | undefined
  /** Bytes of answers being sent on their own streams. */
  private responseBytes = 0
  /** Open requests both ways: the peer's get answers on streams of their own; ours are the only ids a response stream may carry. */
  private readonly requests = new RequestLedger()
  /** Response streams being read, by request id. */
  private readonly responses = new Map<number, NativeStream>()

  constructor (native: NativeConnection, control: NativeStream, controlWriter: StreamWriter, options: QuinnConnectionOptions) {
    this.native = native
    this.control = control
    this.controlWriter = controlWriter
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
    controlWriter.onProgress = this.wakeDrainWaiters
    native.closed().then(this.onNativeClosed, this.onNativeClosed)
  }

  get bufferedBytes (): number {
    return this.controlWriter.bufferedBytes + this.responseBytes
  }

  get closed (): boolean {
    return this.state.closed
  }

  start (handler: ConnectionHandler): void {
    if (!this.state.start(handler)) return
    void this.readControl()
    void this.acceptStreams()
  }

  send (message: WireMessage): void {
    if (this.state.closed) throw this.state.sendError(message)
    const parts = encodeMessage(message)
    // An answer to an open request of the peer goes on a stream of its own.
    if (this.requests.sending(message)) {
      void this.sendOnOwnStream(parts)
      return
    }
    if (message.type === 'cancel') this.stopResponse(message.id)
    for (const part of parts) this.controlWriter.write(part)
  }

  async drain (options: AbortOptions = {}): Promise<void> {
    await this.state.drain(this.bufferedBytes >= this.options.highWaterMark, options.signal)
  }

  close (error?: Error): void {
    if (!this.state.markClosed(error)) return
    // Send what is queued (a goodbye, say), then end the control stream: the peer answers by
    // closing the connection. A peer that does not gets a bounded wait.
    this.controlWriter.end().catch(() => {})
    this.closeTimer = setTimeout(this.abort, this.options.closeTimeout)
    this.closeTimer.unref?.()
  }

  /** Sends an answer on a new stream of its own: kind byte and head in one write, then the payload. */
  private async sendOnOwnStream (parts: Uint8Array[]): Promise<void> {
    let bytes = 0
    for (const part of parts) bytes += part.length
    this.responseBytes += bytes
    let stream: NativeStream | undefined
    try {
      stream = await this.native.outboundStream()
      if (this.state.closed) {
        stream.resetWrite().catch(() => {})
        return
      }
      const writer = new StreamWriter(stream)
      writer.write(Buffer.concat([KIND_RESPONSE, parts[0]]))
      for (let i = 1; i < parts.length; i++) writer.write(parts[i])
      await writer.end()
    } catch (err) {
      // The peer stopped the stream (it cancelled the request) or the connection closed.
      this.log('an answer to %s was not sent: %s', this.remoteAddress, (err as Error)?.message)
    } finally {
      this.responseBytes -= bytes
      this.wakeDrainWaiters()
    }
    // Nothing comes back on an answer's stream but the peer's end of it. Read that end rather
    // than stop reading: a STOP_SENDING reaching a half the peer has already finished leaves the
    // stream open on its side forever, and each such stream uses up one of the streams it lets
    // this side open (measured: 16 allowed, 32 answers, the 26th never opened).
    stream?.read(1).catch(() => {})
  }

  private readonly wakeDrainWaiters = (): void => {
    if (!this.state.draining || this.bufferedBytes >= this.options.highWaterMark) return
    this.state.drained()
  }

  private async readControl (): Promise<void> {
    try {
      while (!this.state.closed) {
        const piece = await this.control.read(CONTROL_READ)
        if (this.state.closed) return
        if (piece === null) {
          this.closeByPeer(new ConnectionClosedError(`The peer at ${this.remoteAddress} closed the connection`))
          return
        }
        this.decoder.push(piece, this.onControlFrame)
      }
    } catch (err) {
      if (this.state.closed) return
      if (err instanceof ProtocolError) this.state.fail(err)
      else this.closeByPeer(new ConnectionClosedError(`The connection to ${this.remoteAddress} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err }))
    }
  }

  private readonly onControlFrame = (frame: Uint8Array): void => {
    if (this.state.closed) return
    const message = decodeFrame(frame)
    this.requests.received(message)
    this.state.deliver(message)
  }

  /** Takes the streams the peer opens: each carries one answer to a request of ours. */
  private async acceptStreams (): Promise<void> {
    while (!this.state.closed) {
      let stream: NativeStream
      try {
        stream = await this.native.inboundStream()
      } catch {
        return // the connection closed
      }
      if (this.state.closed) {
        stream.stopRead().catch(() => {})
        return
      }
      void this.readStream(stream)
    }
  }

  private async readStream (stream: NativeStream): Promise<void> {
    // Nothing is ever sent back on a peer's stream.
    stream.finishWrite().catch(() => {})
    let head: ResponseHead | undefined
    try {
      const first = await stream.read(FIRST_READ)
      if (first === null || first.length === 0 || this.state.closed) return
      if (first[0] !== StreamKind.response) {
        throw new ProtocolError(`The peer at ${this.remoteAddress} opened a stream of kind 0x${first[0].toString(16).padStart(2, '0')}; after the control stream it may only open response streams. Disconnect it`)
      }
      const result = await readResponse(stream, first.subarray(1), {
        maxFrameSize: this.options.maxFrameSize,
        remoteAddress: this.remoteAddress,
        accept: this.acceptResponse,
        onHead: (accepted) => {
          head = accepted
          this.responses.set(accepted.id, stream)
        }
      })
      if (result.kind === 'refused') {
        // An answer to a request we cancelled (or never made): not wanted.
        stream.stopRead().catch(() => {})
        return
      }
      this.responses.delete(result.head.id)
      head = undefined
      if (this.state.closed || !this.requests.answered(result.head.id)) return
      this.state.deliver(decodeFrame(result.frame))
      await expectEnd(stream, result.head, this.remoteAddress)
    } catch (err) {
      if (head !== undefined && this.responses.get(head.id) === stream) this.responses.delete(head.id)
      if (this.state.closed) return
      if (err instanceof ProtocolError) this.state.fail(err)
      // Otherwise: a stream we stopped (a cancel) or the connection closing; nothing to report.
    }
  }

  /** Only answers to requests we are waiting for, one stream per request, are read. */
  private readonly acceptResponse = (head: ResponseHead): boolean => {
    return this.requests.awaits(head.id) && !this.responses.has(head.id)
  }

  /** We cancelled a request whose answer is arriving: ask the peer to stop sending it. */
  private stopResponse (id: number): void {
    const stream = this.responses.get(id)
    if (stream === undefined) return
    this.responses.delete(id)
    stream.stopRead().catch(() => {})
  }

  private closeByPeer (error: ConnectionClosedError): void {
    if (!this.state.markClosed(error)) return
    this.abort()
  }

  /** Closes the native connection at once. */
  private readonly abort = (): void => {
    clearTimeout(this.closeTimer)
    if (this.gone) return
    try {
      this.native.abort()
    } catch (err) {
      this.log('aborting the connection to %s failed: %s', this.remoteAddress, (err as Error)?.message)
    }
  }

  private readonly onNativeClosed = (): void => {
    clearTimeout(this.closeTimer)
    if (this.gone) return
    this.gone = true
    this.options.onGone()
    this.closeByPeer(new ConnectionClosedError(`The connection to ${this.remoteAddress} was closed`))
    this.responses.clear()
  }
}
