import { ConnectionClosedError, ProtocolError } from '@codio-chunk/interface'
import { ConnectionState, FrameDecoder, RequestLedger, admitLargeFrame, decodeFrame, encodeMessage, socketAddress } from '@codio-chunk/protocol'
import type { AbortOptions, BufferPool, Connection, ConnectionHandler, Logger, WireMessage } from '@codio-chunk/interface'
import type { Socket } from 'node:net'

/** Settings a {@link TcpConnection} needs from its transport. */
export interface TcpConnectionOptions {
  direction: 'inbound' | 'outbound'
  maxFrameSize: number
  /** The node's chunk buffer pool, large frames are read into. */
  buffers: BufferPool
  logger: Logger
  /** How long a closing connection may spend flushing queued messages before it is destroyed. */
  closeFlushTimeout?: number
  /** Milliseconds a peer may stop sending in the middle of a frame before the connection is closed. */
  frameTimeout?: number
  /**
   * The socket was created with `onread` pointing at {@link TcpConnection.readBuffer} and
   * {@link TcpConnection.onRead}: large frames are read straight into their own buffers.
   */
  directReads?: boolean
}

const DEFAULT_CLOSE_FLUSH_TIMEOUT = 2000
const DEFAULT_FRAME_TIMEOUT = 30_000
/** Size of the reused buffer direct-read connections read small frames and headers into. */
const READ_SCRATCH_BYTES = 64 * 1024

/**
 * A {@link Connection} over one TCP socket: frames are `u32` big-endian length + type + payload.
 * Created by the transport's `dial` and `listen`; the socket must be paused (not reading).
 */
export class TcpConnection implements Connection {
  readonly remoteAddress: string
  readonly localAddress: string
  readonly direction: 'inbound' | 'outbound'
  readonly remotePeerId = undefined

  private readonly socket: Socket
  private readonly decoder: FrameDecoder
  private readonly log: Logger
  private readonly closeFlushTimeout: number
  private readonly state: ConnectionState
  private corked = false
  private readonly directReads: boolean
  /** The frame window the last direct read went into, if any. */
  private lastTarget: Uint8Array | undefined
  private readonly scratch: Buffer | undefined
  /** Our requests and the peer's: a long data frame is assembled only if it answers one of ours. */
  private readonly ledger = new RequestLedger()
  private readonly frameTimeout: number
  /** When the last bytes arrived (performance.now()). */
  private lastBytesAt = 0
  private stallTimer: ReturnType<typeof setInterval> | undefined

  constructor (socket: Socket, options: TcpConnectionOptions) {
    this.socket = socket
    this.direction = options.direction
    this.log = options.logger
    this.closeFlushTimeout = options.closeFlushTimeout ?? DEFAULT_CLOSE_FLUSH_TIMEOUT
    this.decoder = new FrameDecoder({
      maxFrameSize: options.maxFrameSize,
      buffers: options.buffers,
      admit: (length, head) => admitLargeFrame(length, head, (id) => this.ledger.answerState(id))
    })
    this.frameTimeout = options.frameTimeout ?? DEFAULT_FRAME_TIMEOUT
    this.directReads = options.directReads === true
    this.scratch = this.directReads ? Buffer.allocUnsafe(READ_SCRATCH_BYTES) : undefined
    this.remoteAddress = socketAddress('tcp', socket.remoteAddress, socket.remotePort)
    this.localAddress = socketAddress('tcp', socket.localAddress, socket.localPort)
    this.state = new ConnectionState(this, this.log)
    socket.on('error', this.onSocketError)
    socket.on('end', this.onSocketEnd)
    socket.on('close', this.onSocketClose)
    socket.on('drain', this.onSocketDrain)
  }

  get bufferedBytes (): number {
    return this.socket.writableLength
  }

  get closed (): boolean {
    return this.state.closed
  }

  private get isClosed (): boolean {
    return this.state.closed
  }

  start (handler: ConnectionHandler): void {
    // Closed before anyone listened: the handler hears it in a microtask, once.
    if (!this.state.start(handler)) return
    if (!this.directReads) this.socket.on('data', this.onData)
    this.lastBytesAt = performance.now()
    // A peer that stops in the middle of a frame (a half-sent frame holds its buffer) is dropped.
    this.stallTimer = setInterval(this.checkStall, Math.max(10, Math.floor(this.frameTimeout / 3)))
    this.stallTimer.unref()
    this.socket.resume()
  }

  send (message: WireMessage, sent?: () => void): void {
    if (this.isClosed) throw this.state.sendError(message)
    const parts = encodeMessage(message)
    this.ledger.sending(message)
    const socket = this.socket
    if (!this.corked) {
      // Everything sent in this tick leaves in one vectored write.
      this.corked = true
      socket.cork()
      process.nextTick(this.uncork)
    }
    const last = parts.length - 1
    for (let i = 0; i < last; i++) socket.write(parts[i])
    // The callback of the last part runs once every part is written (or the socket is destroyed
    // and drops them): only then may the caller reuse the bytes.
    if (sent === undefined) socket.write(parts[last])
    else socket.write(parts[last], () => { sent() })
  }

  async drain (options: AbortOptions = {}): Promise<void> {
    await this.state.drain(this.needsDrain(), options.signal)
  }

  close (error?: Error): void {
    if (!this.state.markClosed(error)) return
    clearInterval(this.stallTimer)
    const socket = this.socket
    socket.removeListener('data', this.onData)
    this.uncork()
    if (socket.destroyed) return
    // Flush what is queued (a goodbye, say) and send FIN; the socket closes when the peer answers
    // with its own FIN. Incoming bytes are discarded meanwhile, so closing never resets the
    // connection under unread data. A peer that does not cooperate gets a bounded wait.
    socket.resume()
    const timer = setTimeout(() => socket.destroy(), this.closeFlushTimeout)
    timer.unref()
    socket.once('close', () => clearTimeout(timer))
    socket.end()
  }

  private needsDrain (): boolean {
    const socket = this.socket
    return socket.writableLength >= socket.writableHighWaterMark && socket.writableNeedDrain
  }

  private readonly uncork = (): void => {
    if (!this.corked) return
    this.corked = false
    this.socket.uncork()
  }

  /**
   * For the socket's `onread.buffer`: where the next read goes. The rest of a large frame being
   * assembled (read with no copy), else a reused scratch buffer.
   */
  readonly readBuffer = (): Uint8Array => {
    this.lastTarget = this.isClosed ? undefined : this.decoder.readTarget()
    return this.lastTarget ?? (this.scratch as Buffer)
  }

  /** For the socket's `onread.callback`: `n` bytes were read into `buffer`. */
  readonly onRead = (n: number, buffer: Uint8Array): boolean => {
    if (this.isClosed || n <= 0) return true
    this.lastBytesAt = performance.now()
    try {
      if (buffer === this.lastTarget) this.decoder.commit(n, this.onFrame)
      else this.decoder.push(buffer.subarray(0, n), this.onFrame, true)
    } catch (err) {
      if (!this.isClosed) this.fail(err instanceof ProtocolError ? err : new ProtocolError('Could not read a frame from the peer', { cause: err }))
    }
    return true
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.isClosed) return
    this.lastBytesAt = performance.now()
    try {
      this.decoder.push(chunk, this.onFrame)
    } catch (err) {
      if (!this.isClosed) this.fail(err instanceof ProtocolError ? err : new ProtocolError('Could not read a frame from the peer', { cause: err }))
    }
  }

  private readonly onFrame = (frame: Uint8Array): void => {
    if (this.isClosed) return
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

  private fail (error: ProtocolError): void {
    clearInterval(this.stallTimer)
    this.state.fail(error)
  }

  private readonly checkStall = (): void => {
    if (this.isClosed || !this.decoder.midFrame) return
    const silent = performance.now() - this.lastBytesAt
    if (silent >= this.frameTimeout) {
      this.fail(new ProtocolError(`The peer at ${this.remoteAddress} stopped sending for ${Math.round(silent)} ms in the middle of a frame (${this.decoder.bufferedBytes} bytes of it in). Disconnected`))
    }
  }

  private readonly onSocketError = (err: Error): void => {
    this.log('socket error on %s: %s', this.remoteAddress, err.message)
    this.closeByPeer(new ConnectionClosedError(`The connection to ${this.remoteAddress} failed: ${err.message}`, { cause: err }))
  }

  private readonly onSocketEnd = (): void => {
    this.closeByPeer(new ConnectionClosedError(`The peer at ${this.remoteAddress} closed the connection`))
  }

  private readonly onSocketClose = (): void => {
    this.closeByPeer(new ConnectionClosedError(`The connection to ${this.remoteAddress} was closed`))
  }

  private readonly onSocketDrain = (): void => {
    if (this.needsDrain()) return
    this.state.drained()
  }

  private closeByPeer (error: ConnectionClosedError): void {
    if (!this.state.markClosed(error)) return
    clearInterval(this.stallTimer)
    this.socket.removeListener('data', this.onData)
    this.socket.destroy()
  }
}
