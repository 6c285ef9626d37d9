import { CodioChunkError, ConnectionClosedError, ProtocolError, abortError } from '@codio-chunk/interface'
import { GoodbyeCode } from '@codio-chunk/interface'
import type { Logger } from '@codio-chunk/interface'
import type { Connection, ConnectionHandler } from '@codio-chunk/interface'
import type { WireMessage } from '@codio-chunk/interface'

interface DrainWaiter {
  resolve: () => void
  reject: (err: Error) => void
}

/**
 * The part of a {@link Connection} every transport shares, whatever carries its bytes: the
 * handler attached once by `start()`, delivery of decoded messages (a handler that throws is a
 * protocol error that closes the connection with a goodbye), `drain()` waiters, and the close
 * reported to the handler exactly once, even when the connection closed before `start()`.
 *
 * @example
 * ```ts
 * // Inside a Connection implementation:
 * // this.state = new ConnectionState(this, logger)
 * // start (handler) { if (this.state.start(handler)) this.socket.resume() }
 * // onFrame (frame) { this.state.deliver(decodeFrame(frame)) }
 * // close (error) { if (this.state.markClosed(error)) this.socket.end() }
 * ```
 */
export class ConnectionState {
  private handler: ConnectionHandler | undefined
  private isClosed = false
  private error: Error | undefined
  private notified = false
  private readonly drainWaiters = new Set<DrainWaiter>()

  constructor (
    private readonly connection: Pick<Connection, 'remoteAddress' | 'send' | 'close'>,
    private readonly log: Logger
  ) {}

  /** True once the connection is closed. */
  get closed (): boolean {
    return this.isClosed
  }

  /** Why the connection closed (undefined for a clean close). */
  get closeError (): Error | undefined {
    return this.error
  }

  /** True once `start()` attached a handler. */
  get started (): boolean {
    return this.handler !== undefined
  }

  /**
   * Attaches the handler; a second call throws. False when the connection had already closed: the
   * handler then hears `onClose` in a microtask, and the caller starts nothing.
   */
  start (handler: ConnectionHandler): boolean {
    if (this.handler !== undefined) throw new CodioChunkError('start() was already called on this connection; call it once', 'ERR_ALREADY_STARTED')
    this.handler = handler
    if (this.isClosed) {
      queueMicrotask(() => { this.notifyClose() })
      return false
    }
    return true
  }

  /** Hands a message to the handler; if the handler throws, the connection fails with a protocol error. */
  deliver (message: WireMessage): void {
    try {
      this.handler?.onMessage(message)
    } catch (err) {
      this.fail(new ProtocolError(`Handling a ${message.type} message from ${this.connection.remoteAddress} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err }))
    }
  }

  /** Tells the peer why (goodbye with the protocol-error code), then closes. */
  fail (error: ProtocolError): void {
    if (this.isClosed) return
    this.log('closing %s after a protocol error: %s', this.connection.remoteAddress, error.message)
    try {
      this.connection.send({ type: 'goodbye', code: GoodbyeCode.ProtocolError, reason: error.message })
    } catch {}
    this.connection.close(error)
  }

  /** The error `send()` throws once the connection is closed. */
  sendError (message: WireMessage): ConnectionClosedError {
    return new ConnectionClosedError(`Cannot send ${message.type}: the connection to ${this.connection.remoteAddress} is closed`, { cause: this.error })
  }

  /**
   * `Connection.drain()`: resolves at once unless `full`, else at the next `drained()`; rejects if
   * the connection is or becomes closed, or the signal aborts.
   */
  async drain (full: boolean, signal?: AbortSignal): Promise<void> {
    if (this.isClosed) throw new ConnectionClosedError(`The connection to ${this.connection.remoteAddress} is closed`, { cause: this.error })
    if (signal?.aborted === true) throw abortError(signal, 'drain')
    if (!full) return
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.drainWaiters.delete(waiter)
        reject(abortError(signal as AbortSignal, 'drain'))
      }
      const waiter: DrainWaiter = {
        resolve: () => { signal?.removeEventListener('abort', onAbort); resolve() },
        reject: (err) => { signal?.removeEventListener('abort', onAbort); reject(err) }
      }
      this.drainWaiters.add(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** True while some `drain()` waits. */
  get draining (): boolean {
    return this.drainWaiters.size > 0
  }

  /** The send buffer went below its mark: every waiting `drain()` resolves. */
  drained (): void {
    for (const waiter of this.drainWaiters) waiter.resolve()
    this.drainWaiters.clear()
  }

  /**
   * Records the close: waiting `drain()`s reject and the handler hears `onClose` (once). False if
   * the connection was already closed, so the caller's own close steps run only once.
   */
  markClosed (error: Error | undefined): boolean {
    if (this.isClosed) return false
    this.isClosed = true
    this.error = error
    const closedError = new ConnectionClosedError(`The connection to ${this.connection.remoteAddress} closed`, { cause: error })
    for (const waiter of this.drainWaiters) waiter.reject(closedError)
    this.drainWaiters.clear()
    if (this.handler !== undefined) this.notifyClose()
    return true
  }

  private notifyClose (): void {
    if (this.notified || this.handler === undefined) return
    this.notified = true
    try {
      this.handler.onClose(this.error)
    } catch (err) {
      this.log.error('onClose handler for %s threw: %s', this.connection.remoteAddress, (err as Error)?.message ?? String(err))
    }
  }
}
