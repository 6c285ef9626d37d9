import { ACCEPTED, StreamKind } from './stream-kind.js'
import { StreamWriter } from './stream-writer.js'
import { fromMultiaddr, quinnAddress } from './quinn-address.js'
import { withTimeout } from './timeout.js'
import type { Connection, Listener, Logger } from '@codio-chunk/interface'
import type { NativeConnection, NativeServer, NativeStream } from './native.js'
import type { QuinnConnection } from './quinn-connection.js'

/** What a {@link QuinnListener} needs from its transport. */
export interface QuinnListenerOptions {
  server: NativeServer
  /** The host the listener was asked to bind, for its addresses. */
  host: string
  /** The listener's own peer id, appended to its addresses. */
  peerId: string
  /** Milliseconds a new connection may take to open its control stream. */
  handshakeTimeout: number
  /** Handshakes run at once (each waits in the binding's accept call). */
  maxPendingHandshakes: number
  /** Connections open at once; more are closed as they arrive. */
  maxConnections: number
  logger: Logger
  onConnection: (connection: Connection) => void
  wrap: (native: NativeConnection, control: NativeStream, writer: StreamWriter, remote: { address: string, peerId: string }, onGone: () => void) => QuinnConnection
}

/**
 * Accepts quinn connections on one UDP socket. Closing it stops accepting at once (a dial then
 * fails); the socket stays open for the connections it accepted and is closed after the last.
 */
export class QuinnListener implements Listener {
  readonly addresses: readonly string[]
  private readonly options: QuinnListenerOptions
  private readonly server: NativeServer
  private open = 0
  private pending = 0
  private accepting = true
  private stopped = false

  constructor (options: QuinnListenerOptions) {
    this.options = options
    this.server = options.server
    this.addresses = Object.freeze([quinnAddress(options.host, this.server.port(), options.peerId)])
    // The binding's accept call waits for its connection's handshake, so several run at once: a
    // peer that stalls its handshake holds up one of them, not the listener.
    for (let i = 0; i < options.maxPendingHandshakes; i++) void this.acceptLoop()
  }

  /** Open connections accepted by this listener (for tests and monitoring). */
  get connections (): number {
    return this.open
  }

  async close (): Promise<void> {
    if (!this.accepting) return
    this.accepting = false
    await this.stopIfIdle()
  }

  private async acceptLoop (): Promise<void> {
    while (!this.stopped) {
      let native: NativeConnection
      try {
        native = await this.server.inboundConnection()
      } catch (err) {
        const message = (err as Error)?.message
        // The endpoint is gone; nothing more will arrive.
        if (this.stopped || message === 'server closed') return
        this.options.logger('a QUIC handshake failed: %s', message)
        continue
      }
      this.pending++
      try {
        await this.take(native)
      } finally {
        this.pending--
        void this.stopIfIdle()
      }
    }
  }

  /** Waits for the dialler's control stream, answers it, and hands the connection out. */
  private async take (native: NativeConnection): Promise<void> {
    const log = this.options.logger
    const remote = fromMultiaddr(native.remoteMultiaddr())
    if (!this.accepting || remote === undefined || this.open >= this.options.maxConnections) {
      native.abort()
      return
    }
    let control: NativeStream
    try {
      control = await withTimeout(native.inboundStream(), this.options.handshakeTimeout)
      const kind = await withTimeout(control.read(1), this.options.handshakeTimeout)
      if (kind === null || kind[0] !== StreamKind.control) throw new Error('its first stream is not a control stream')
    } catch (err) {
      log('dropping a connection from %s: %s', remote.host, (err as Error)?.message)
      native.abort()
      return
    }
    if (!this.accepting) {
      native.abort()
      return
    }
    const writer = new StreamWriter(control)
    writer.write(Uint8Array.of(ACCEPTED))
    this.open++
    let connection: QuinnConnection
    try {
      connection = this.options.wrap(native, control, writer, { address: quinnAddress(remote.host, remote.port), peerId: remote.peerId }, () => {
        this.open--
        void this.stopIfIdle()
      })
    } catch (err) {
      log.error('dropping an inbound connection: %s', (err as Error)?.message)
      this.open--
      native.abort()
      return
    }
    try {
      this.options.onConnection(connection)
    } catch (err) {
      log.error('onConnection threw for %s: %s', connection.remoteAddress, (err as Error)?.message)
      connection.close(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private async stopIfIdle (): Promise<void> {
    if (this.accepting || this.stopped || this.open > 0 || this.pending > 0) return
    this.stopped = true
    try {
      await this.server.abort()
    } catch (err) {
      this.options.logger('closing the QUIC endpoint failed: %s', (err as Error)?.message)
    }
  }
}
