import dgram from 'node:dgram'
import { createComponents } from '@codio-chunk/protocol'
import { quinnTransport } from '../src/index.js'
import type { Connection, ConnectionHandler, Identity, Listener, Transport, WireMessage } from '@codio-chunk/interface'
import type { QuinnTransport, QuinnTransportInit } from '../src/index.js'

/** A quinn transport of a node of its own: `identity` (default: a new one) and a frame limit. */
export function quinnNode (init: QuinnTransportInit = {}, identity?: Identity, maxFrameSize?: number): QuinnTransport {
  return quinnTransport(init)(createComponents({ identity, maxFrameSize }))
}

/** Rejects after `ms` milliseconds unless `promise` settles first. */
export async function within<T> (promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** A handler that records messages and closes, and lets a test wait for either. */
export class Inbox implements ConnectionHandler {
  readonly messages: WireMessage[] = []
  closeError: Error | undefined
  closed = false
  private waiters: Array<() => void> = []

  constructor (private readonly onEach?: (message: WireMessage) => void) {}

  onMessage (message: WireMessage): void {
    if (this.onEach !== undefined) this.onEach(message)
    else this.messages.push(message)
    this.wake()
  }

  onClose (error?: Error): void {
    this.closed = true
    this.closeError = error
    this.wake()
  }

  async until (condition: () => boolean, what: string, ms?: number): Promise<void> {
    await within(new Promise<void>((resolve) => {
      const check = (): void => {
        if (condition()) resolve()
        else this.waiters.push(check)
      }
      check()
    }), what, ms)
  }

  wake (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) waiter()
  }
}

/**
 * A listener answering every `request-chunk` with `chunkFor(index)` on the request's id, the
 * server-side connections it accepted, and an inbox woken whenever one of them closes.
 */
export async function chunkServer (transport: Transport, address: string, chunkFor: (index: number) => Uint8Array): Promise<{ listener: Listener & { connections: number }, accepted: Connection[], closes: Inbox }> {
  const accepted: Connection[] = []
  const closes = new Inbox()
  const listener = await transport.listen(address, {
    onConnection: (conn) => {
      accepted.push(conn)
      conn.start({
        onMessage: (message) => {
          if (message.type === 'request-chunk') conn.send({ type: 'data', id: message.id, bytes: chunkFor(message.index) })
        },
        onClose: () => { closes.wake() }
      })
    }
  })
  return { listener: listener as Listener & { connections: number }, accepted, closes }
}

/**
 * A loopback UDP relay between one client and a server port that can go silent at once: the peer
 * behind it looks killed (no close, no reset, nothing more ever arrives).
 */
export class SilenceableRelay {
  private readonly outer = dgram.createSocket('udp4')
  private readonly inner = dgram.createSocket('udp4')
  private peer: { address: string, port: number } | undefined
  private silent = false

  private constructor (private readonly serverPort: number) {}

  static async open (serverPort: number): Promise<SilenceableRelay> {
    const relay = new SilenceableRelay(serverPort)
    await new Promise<void>((resolve) => relay.outer.bind(0, '127.0.0.1', resolve))
    await new Promise<void>((resolve) => relay.inner.bind(0, '127.0.0.1', resolve))
    relay.outer.on('message', (datagram, from) => {
      relay.peer = { address: from.address, port: from.port }
      if (!relay.silent) relay.inner.send(datagram, relay.serverPort, '127.0.0.1')
    })
    relay.inner.on('message', (datagram) => {
      if (!relay.silent && relay.peer !== undefined) relay.outer.send(datagram, relay.peer.port, relay.peer.address)
    })
    return relay
  }

  /** The port to dial. */
  get port (): number {
    return this.outer.address().port
  }

  /** From now on nothing passes either way. */
  kill (): void {
    this.silent = true
  }

  close (): void {
    this.outer.close()
    this.inner.close()
  }
}

/**
 * Resolves once `condition` holds, checking every 10 ms; rejects after `ms`. For state that
 * changes without an event a test can hook (a native connection going away).
 */
export async function eventually (condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`)
    await new Promise<void>((resolve) => setTimeout(resolve, 10))
  }
}
