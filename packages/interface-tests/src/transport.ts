import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AbortError, ConnectionClosedError, ContentId, DialError, GoodbyeCode, InvalidAddressError, PROTOCOL_VERSION, PeerIdMismatchError, ProtocolError, RejectCode } from '@codio-chunk/interface'
import { PeerIdentity, createComponents, formatAddress, parseAddress } from '@codio-chunk/protocol'
import type { Components, Connection, ConnectionHandler, Listener, ListenOptions, Transport, TransportFactory, WireMessage } from '@codio-chunk/interface'

/** What the transport compliance suite needs: the transport's factory and a local address to listen on. */
export interface TransportComplianceSetup {
  /** The factory a node takes, e.g. `tcpTransport()`. The suite calls it with several nodes' components. */
  transport: TransportFactory
  /** A loopback address with port 0, e.g. `tcp://127.0.0.1:0`. */
  listenAddress: string
  /**
   * True if the transport proves peer ids (QUIC's TLS, a signed challenge): each side's
   * `remotePeerId` must then be the other node's id, and a dial naming another id must fail with
   * `PeerIdMismatchError`. A transport that does not authenticate leaves `remotePeerId` unset.
   */
  authenticates: boolean
}

const WAIT = 10_000
const CID_V0 = ContentId.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o').cid
const CID_V1 = ContentId.parse('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e').cid

/** One example of every wire message type. */
function everyMessage (): WireMessage[] {
  return [
    { type: 'hello', version: PROTOCOL_VERSION, peerId: '12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV', maxFrameSize: 4 * 1024 * 1024, maxRequests: 16, addresses: ['tcp://127.0.0.1:4001', 'quic://[::1]:4002'], agent: 'compliance/1 ✓' },
    { type: 'goodbye', code: GoodbyeCode.Shutdown, reason: 'bye' },
    { type: 'bitfield', content: CID_V1, chunkCount: 11, bits: Uint8Array.of(0xa5, 0x60) },
    { type: 'have', content: CID_V0, index: 3 },
    { type: 'interested', content: CID_V1 },
    { type: 'not-interested', content: CID_V1 },
    { type: 'choke' },
    { type: 'unchoke' },
    { type: 'peers', content: CID_V0, addresses: ['tcp://10.0.0.2:4001'] },
    { type: 'request-chunk', id: 1, content: CID_V1, index: 7 },
    { type: 'request-block', id: 2, content: CID_V0, block: CID_V1 },
    { type: 'data', id: 1, bytes: Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff) },
    { type: 'reject', id: 2, code: RejectCode.NotFound, reason: 'no such block' },
    { type: 'cancel', id: 1 }
  ]
}

/** Messages in a comparable shape: CIDs as strings, bytes as hex. */
function normalize (message: WireMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(message)) {
    if (value instanceof Uint8Array) out[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')
    else if (value !== null && typeof value === 'object' && 'asCID' in value) out[key] = String(value)
    else out[key] = value
  }
  return out
}

async function within<T> (promise: Promise<T>, what: string, ms = WAIT): Promise<T> {
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

/** A connection handler that records what arrives and lets tests wait for it. */
class Inbox implements ConnectionHandler {
  readonly messages: WireMessage[] = []
  readonly closes: Array<Error | undefined> = []
  private waiters: Array<() => void> = []

  onMessage (message: WireMessage): void {
    this.messages.push(message)
    this.wake()
  }

  onClose (error?: Error): void {
    this.closes.push(error)
    this.wake()
  }

  async until (condition: () => boolean, what: string): Promise<void> {
    await within(new Promise<void>((resolve) => {
      const check = (): void => {
        if (condition()) resolve()
        else this.waiters.push(check)
      }
      check()
    }), what)
  }

  async received (count: number): Promise<WireMessage[]> {
    await this.until(() => this.messages.length >= count, `${count} messages (got ${this.messages.length})`)
    return this.messages
  }

  async closed (): Promise<Error | undefined> {
    await this.until(() => this.closes.length > 0, 'onClose')
    return this.closes[0]
  }

  private wake (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) waiter()
  }
}

/** Lets pending I/O callbacks run (used only to show that nothing more arrives). */
async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

async function rejection (promise: Promise<unknown>, what: string): Promise<unknown> {
  return await within(promise.then(() => { throw new Error(`${what} should have failed`) }, (err: unknown) => err), what)
}

/**
 * Defines the vitest tests every codio-chunk transport must pass: listening, dialling, every
 * message type in both directions, ordering, large messages, concurrency, closing, aborting,
 * frame limits, back-pressure. Call it from a test file of the transport's package.
 *
 * @example
 * ```ts
 * // test/compliance.test.ts
 * import { transportComplianceSuite } from '@codio-chunk/interface-tests/transport'
 * import { tcpTransport } from '@codio-chunk/transport-tcp'
 * transportComplianceSuite('tcp', () => ({ transport: tcpTransport(), listenAddress: 'tcp://127.0.0.1:0', authenticates: false }))
 * ```
 */
export function transportComplianceSuite (name: string, setup: () => TransportComplianceSetup | Promise<TransportComplianceSetup>): void {
  describe(`${name} transport compliance`, () => {
    let factory: TransportFactory
    let listenAddress: string
    let authenticates: boolean
    /** The listening node's components and transport. */
    let serverNode: Components
    let server: Transport
    /** The dialling node's components and transport: another identity. */
    let clientNode: Components
    let transport: Transport
    let listeners: Listener[] = []
    let connections: Connection[] = []

    beforeEach(async () => {
      ({ transport: factory, listenAddress, authenticates } = await setup())
      serverNode = createComponents()
      clientNode = createComponents()
      server = factory(serverNode)
      transport = factory(clientNode)
    })

    afterEach(async () => {
      for (const connection of connections) connection.close()
      for (const listener of listeners) await listener.close()
      connections = []
      listeners = []
    })

    async function listen (onConnection: (connection: Connection) => void, options: Partial<ListenOptions> = {}, on = server): Promise<Listener> {
      const listener = await on.listen(listenAddress, {
        ...options,
        onConnection: (connection) => { connections.push(connection); onConnection(connection) }
      })
      listeners.push(listener)
      return listener
    }

    async function dial (address: string, options: Parameters<Transport['dial']>[1] = {}): Promise<Connection> {
      const connection = await transport.dial(address, { signal: AbortSignal.timeout(WAIT), ...options })
      connections.push(connection)
      return connection
    }

    /** A started connection pair: the dialler (client) and the listener's side (server). */
    /**
     * The receiving side asks for chunks `ids`, as a node does before a peer may answer with data
     * (a transport may refuse a long data frame answering nothing it asked for); resolves once the
     * sending side has the requests, which are taken out of its inbox.
     */
    async function ask (receiver: Connection, senderInbox: Inbox, ids: readonly number[]): Promise<void> {
      const before = senderInbox.messages.length
      for (const id of ids) receiver.send({ type: 'request-chunk', id, content: CID_V1, index: id })
      await senderInbox.received(before + ids.length)
      senderInbox.messages.splice(before, ids.length)
    }

    async function pair (on = server): Promise<{ client: Connection, server: Connection, clientInbox: Inbox, serverInbox: Inbox }> {
      const serverInbox = new Inbox()
      let accepted!: (connection: Connection) => void
      const inbound = new Promise<Connection>((resolve) => { accepted = resolve })
      const listener = await listen((connection) => { connection.start(serverInbox); accepted(connection) }, {}, on)
      const client = await dial(listener.addresses[0])
      const clientInbox = new Inbox()
      client.start(clientInbox)
      const server = await within(inbound, 'the inbound connection')
      return { client, server, clientInbox, serverInbox }
    }

    it('listens on port 0 and reports a dialable address', async () => {
      const listener = await listen((connection) => connection.start(new Inbox()))
      expect(listener.addresses.length).toBeGreaterThan(0)
      for (const address of listener.addresses) {
        const parsed = parseAddress(address)
        expect(server.protocols).toContain(parsed.scheme)
        expect(parsed.port).toBeGreaterThan(0)
        if (parsed.peerId !== undefined) expect(parsed.peerId).toBe(serverNode.identity.peerId)
      }
      const connection = await dial(listener.addresses[0])
      expect(connection.direction).toBe('outbound')
      expect(connection.closed).toBe(false)
      expect(parseAddress(connection.remoteAddress).port).toBe(parseAddress(listener.addresses[0]).port)
      expect(() => parseAddress(connection.localAddress)).not.toThrow()
    })

    it('carries every message type both ways', async () => {
      const { client, server, clientInbox, serverInbox } = await pair()
      expect(server.direction).toBe('inbound')
      const messages = everyMessage()
      for (const message of messages) client.send(message)
      for (const message of messages) server.send(message)
      expect((await serverInbox.received(messages.length)).map(normalize)).toEqual(messages.map(normalize))
      expect((await clientInbox.received(messages.length)).map(normalize)).toEqual(messages.map(normalize))
    })

    it('gives each side the peer id the other node proves (authenticating transports), or none', async () => {
      const { client, server: accepted } = await pair()
      if (!authenticates) {
        expect(client.remotePeerId).toBeUndefined()
        expect(accepted.remotePeerId).toBeUndefined()
        return
      }
      // Each side proves the identity of the node whose components made its transport.
      expect(client.remotePeerId).toBe(serverNode.identity.peerId)
      expect(accepted.remotePeerId).toBe(clientNode.identity.peerId)
      const { host, port } = parseAddress(listeners[0].addresses[0])
      const other = PeerIdentity.generate().peerId
      const scheme = server.protocols[0]
      expect(await rejection(transport.dial(formatAddress(scheme, host, port, other), { signal: AbortSignal.timeout(WAIT) }), 'a dial naming another peer id')).toBeInstanceOf(PeerIdMismatchError)
      expect(await rejection(transport.dial(formatAddress(scheme, host, port), { signal: AbortSignal.timeout(WAIT), peerId: other }), 'a dial expecting another peer id')).toBeInstanceOf(PeerIdMismatchError)
      const named = await dial(formatAddress(scheme, host, port, serverNode.identity.peerId))
      expect(named.remotePeerId).toBe(serverNode.identity.peerId)
    })

    it('keeps many messages in order', async () => {
      const { client, serverInbox } = await pair()
      const count = 3000
      for (let i = 0; i < count; i++) {
        if (i % 100 === 0) client.send({ type: 'data', id: i, bytes: new Uint8Array(4096).fill(i & 0xff) })
        else client.send({ type: 'have', content: CID_V1, index: i })
      }
      const received = await serverInbox.received(count)
      const order = received.map(m => m.type === 'have' ? m.index : m.type === 'data' ? m.id : -1)
      expect(order).toEqual(Array.from({ length: count }, (_, i) => i))
    })

    it('delivers a 4 MiB data message intact', async () => {
      const { client, server: accepted, clientInbox, serverInbox } = await pair()
      await ask(accepted, clientInbox, [99])
      const bytes = new Uint8Array(4 * 1024 * 1024)
      for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i >>> 12) & 0xff
      bytes[bytes.length - 1] = 0x5a
      client.send({ type: 'data', id: 99, bytes })
      const [message] = await serverInbox.received(1)
      if (message.type !== 'data') throw new Error(`expected data, got ${message.type}`)
      expect(message.id).toBe(99)
      expect(message.bytes.length).toBe(bytes.length)
      expect(Buffer.compare(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.length), Buffer.from(bytes))).toBe(0)
    })

    it('delivers large and small messages to the dialling side intact and in order', async () => {
      const { client, server, clientInbox, serverInbox } = await pair()
      const sizes = [300 * 1024, 17, 4 * 1024 * 1024 - 64, 0, 256 * 1024 + 3, 65_536]
      await ask(client, serverInbox, sizes.map((_, id) => id))
      const payloads = sizes.map((size, n) => {
        const bytes = new Uint8Array(size)
        for (let i = 0; i < size; i += 509) bytes[i] = (i + n) & 0xff
        return bytes
      })
      payloads.forEach((bytes, id) => {
        server.send({ type: 'data', id, bytes })
        server.send({ type: 'have', content: CID_V1, index: id })
      })
      const received = await clientInbox.received(payloads.length * 2)
      // Other messages keep their order; an answer may overtake them on a transport with a stream per answer.
      expect(received.filter(m => m.type === 'have')).toEqual(payloads.map((_, index) => ({ type: 'have', content: CID_V1, index })))
      const answers = received.filter(m => m.type === 'data')
      expect(answers.map(m => m.id).sort((a, b) => a - b)).toEqual(payloads.map((_, id) => id))
      for (const message of answers) {
        if (message.type !== 'data') continue
        expect(Buffer.compare(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.length), Buffer.from(payloads[message.id]))).toBe(0)
      }
    })

    it('serves many concurrent connections', async () => {
      const listener = await listen((connection) => connection.start({
        onMessage: (message) => connection.send(message),
        onClose: () => {}
      }))
      const count = 24
      const replies = await Promise.all(Array.from({ length: count }, async (_, i) => {
        const connection = await dial(listener.addresses[0])
        const inbox = new Inbox()
        connection.start(inbox)
        connection.send({ type: 'cancel', id: i })
        const [reply] = await inbox.received(1)
        return reply
      }))
      expect(replies).toEqual(Array.from({ length: count }, (_, i) => ({ type: 'cancel', id: i })))
    })

    for (const closer of ['dialler', 'listener'] as const) {
      it(`calls onClose exactly once on both sides when the ${closer} closes`, async () => {
        const { client, server, clientInbox, serverInbox } = await pair()
        const [local, localInbox, remote, remoteInbox] = closer === 'dialler'
          ? [client, clientInbox, server, serverInbox]
          : [server, serverInbox, client, clientInbox]
        const reason = new Error('test is done')
        local.close(reason)
        expect(local.closed).toBe(true)
        expect(await localInbox.closed()).toBe(reason)
        await remoteInbox.closed()
        expect(remote.closed).toBe(true)
        local.close()
        remote.close()
        await settle()
        expect(localInbox.closes).toHaveLength(1)
        expect(remoteInbox.closes).toHaveLength(1)
      })
    }

    it('throws ConnectionClosedError from send after close, on both sides', async () => {
      const { client, server, serverInbox } = await pair()
      client.close()
      expect(() => client.send({ type: 'choke' })).toThrow(ConnectionClosedError)
      await serverInbox.closed()
      expect(() => server.send({ type: 'choke' })).toThrow(ConnectionClosedError)
    })

    it('fails to dial a closed port with DialError', async () => {
      const listener = await listen((connection) => connection.close())
      const address = listener.addresses[0]
      await listener.close()
      expect(await rejection(transport.dial(address, { signal: AbortSignal.timeout(WAIT) }), 'dialling a closed port')).toBeInstanceOf(DialError)
    })

    it('rejects an address of another scheme with InvalidAddressError', async () => {
      expect(await rejection(transport.dial('no-such-scheme://127.0.0.1:1'), 'dialling a foreign scheme')).toBeInstanceOf(InvalidAddressError)
      expect(await rejection(transport.dial('not an address'), 'dialling garbage')).toBeInstanceOf(InvalidAddressError)
    })

    it('cancels a dial through its abort signal', async () => {
      const listener = await listen((connection) => connection.start(new Inbox()))
      const aborted = AbortSignal.abort(new Error('no'))
      expect(await rejection(transport.dial(listener.addresses[0], { signal: aborted }), 'a dial with an aborted signal')).toBeInstanceOf(AbortError)
      const controller = new AbortController()
      const dialling = transport.dial(listener.addresses[0], { signal: controller.signal })
      controller.abort()
      expect(await rejection(dialling, 'a dial aborted while connecting')).toBeInstanceOf(AbortError)
    })

    it('stops accepting when the listener closes, and keeps open connections', async () => {
      const { client, clientInbox, server } = await pair()
      const listener = listeners[0]
      await listener.close()
      expect(await rejection(transport.dial(listener.addresses[0], { signal: AbortSignal.timeout(WAIT) }), 'dialling a closed listener')).toBeInstanceOf(DialError)
      server.send({ type: 'unchoke' })
      expect(await clientInbox.received(1)).toEqual([{ type: 'unchoke' }])
      expect(client.closed).toBe(false)
    })

    it('delivers messages sent before start() once start() is called', async () => {
      const serverInbox = new Inbox()
      let sentByServer!: () => void
      const serverSent = new Promise<void>((resolve) => { sentByServer = resolve })
      let startServer!: () => void
      const serverMayStart = new Promise<void>((resolve) => { startServer = resolve })
      const listener = await listen((connection) => {
        for (let i = 0; i < 5; i++) connection.send({ type: 'have', content: CID_V0, index: i })
        sentByServer()
        void serverMayStart.then(() => connection.start(serverInbox))
      })
      const client = await dial(listener.addresses[0])
      for (let i = 0; i < 5; i++) client.send({ type: 'cancel', id: i })
      await within(serverSent, 'the server to send')
      startServer()
      const clientInbox = new Inbox()
      client.start(clientInbox)
      const expected: WireMessage[] = Array.from({ length: 5 }, (_, index) => ({ type: 'have', content: CID_V0, index }))
      expect((await clientInbox.received(5)).map(normalize)).toEqual(expected.map(normalize))
      expect(await serverInbox.received(5)).toEqual(Array.from({ length: 5 }, (_, id) => ({ type: 'cancel', id })))
    })

    it('resolves drain() once queued data has gone out', async () => {
      const { client, server: accepted, clientInbox, serverInbox } = await pair()
      const chunk = new Uint8Array(256 * 1024).fill(1)
      const count = 32
      await ask(accepted, clientInbox, Array.from({ length: count }, (_, id) => id))
      for (let i = 0; i < count; i++) client.send({ type: 'data', id: i, bytes: chunk })
      await within(client.drain(), 'drain()')
      expect(client.bufferedBytes).toBeGreaterThanOrEqual(0)
      await serverInbox.received(count)
      await within(client.drain(), 'drain() with nothing queued')
    })

    it('refuses a long data frame answering nothing it asked for, and drops one answering a request it cancelled', async () => {
      const { client, server: accepted, clientInbox, serverInbox } = await pair()
      const chunk = new Uint8Array(256 * 1024).fill(3)
      // Asked for, then cancelled before the answer: the answer is dropped, the connection stays.
      await ask(accepted, clientInbox, [6])
      accepted.send({ type: 'cancel', id: 6 })
      await clientInbox.received(1)
      client.send({ type: 'data', id: 6, bytes: chunk })
      client.send({ type: 'have', content: CID_V1, index: 1 })
      expect(await serverInbox.received(1)).toEqual([{ type: 'have', content: CID_V1, index: 1 }])
      expect(accepted.closed).toBe(false)
      // Never asked for: a peer trying to make the node hold its buffers is disconnected.
      client.send({ type: 'data', id: 77, bytes: chunk })
      expect(await serverInbox.closed()).toBeInstanceOf(ProtocolError)
      await clientInbox.closed()
    })

    it('closes a connection that receives a frame above its node\'s maxFrameSize', async () => {
      const { client, clientInbox, serverInbox } = await pair(factory(createComponents({ maxFrameSize: 1024 })))
      client.send({ type: 'cancel', id: 1 })
      client.send({ type: 'data', id: 2, bytes: new Uint8Array(4096) })
      const error = await serverInbox.closed()
      expect(error).toBeInstanceOf(ProtocolError)
      expect(serverInbox.messages).toEqual([{ type: 'cancel', id: 1 }])
      await clientInbox.closed()
    })

    it('closes the connection with a ProtocolError when onMessage throws', async () => {
      const closes: Array<Error | undefined> = []
      let closed!: () => void
      const done = new Promise<void>((resolve) => { closed = resolve })
      const listener = await listen((connection) => connection.start({
        onMessage: () => { throw new Error('handler bug') },
        onClose: (error) => { closes.push(error); closed() }
      }))
      const client = await dial(listener.addresses[0])
      const clientInbox = new Inbox()
      client.start(clientInbox)
      client.send({ type: 'choke' })
      await within(done, 'the server connection to close')
      expect(closes).toHaveLength(1)
      expect(closes[0]).toBeInstanceOf(ProtocolError)
      expect((closes[0] as Error).cause).toBeInstanceOf(Error)
      await clientInbox.closed()
    })
  })
}
