import { afterEach, describe, expect, it } from 'vitest'
import { ConnectionClosedError, ContentId, DialError, ListenError, ProtocolError, InvalidAddressError } from '@codio-chunk/interface'
import { PeerIdentity, parseAddress } from '@codio-chunk/protocol'
import type { QuicListener, QuicTransportInit } from '../src/index.js'
import { abandonHandshake } from './half-open.js'
import { Cleanup, Inbox, WAIT, quicNode, rejection, until, within } from './helpers.js'
import { UdpProxy } from './udp-proxy.js'
import type { Connection } from '@codio-chunk/interface'
import type { QUICConnection } from '@matrixai/quic'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

const CONTENT = ContentId.parse('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e').cid

/** A started connection pair. */
async function pair (serverInit: QuicTransportInit = {}, clientInit: QuicTransportInit = {}): Promise<{ client: Connection, server: Connection, clientInbox: Inbox, serverInbox: Inbox }> {
  let resolveServer!: (c: Connection) => void
  const accepted = new Promise<Connection>((resolve) => { resolveServer = resolve })
  const serverInbox = new Inbox()
  const listener = cleanup.listener(await quicNode(serverInit, undefined, 64 * 1024).listen('quic://127.0.0.1:0', {
    onConnection: (c) => { cleanup.connection(c); c.start(serverInbox); resolveServer(c) }
  }))
  const client = cleanup.connection(await quicNode(clientInit, undefined, 64 * 1024).dial(listener.addresses[0], { signal: AbortSignal.timeout(WAIT) }))
  const clientInbox = new Inbox()
  client.start(clientInbox)
  return { client, server: await within(accepted, 'the inbound connection'), clientInbox, serverInbox }
}

/** Writes raw bytes on a new unidirectional stream of `connection` (a hostile peer's response stream). */
async function rawResponseStream (connection: Connection, ...parts: Uint8Array[]): Promise<void> {
  const quic = (connection as unknown as { quic: QUICConnection }).quic
  const writer = quic.newStream('uni').writable.getWriter()
  for (const part of parts) await writer.write(part)
  await writer.close()
}

function frameHead (length: number, type: number, id: number): Uint8Array {
  const head = Buffer.alloc(9)
  head.writeUInt32BE(length, 0)
  head[4] = type
  head.writeUInt32BE(id, 5)
  return head
}

describe('QUIC requests and responses', () => {
  it('answers requests on streams of their own, out of order, and delivers every answer', async () => {
    const { client, server, clientInbox, serverInbox } = await pair()
    const count = 12
    for (let id = 1; id <= count; id++) client.send({ type: 'request-chunk', id, content: CONTENT, index: id })
    await serverInbox.received(count)
    // Answer in reverse order, each with its own payload; interleave a control message.
    for (let id = count; id >= 1; id--) {
      server.send(id % 3 === 0 ? { type: 'reject', id, code: 1, reason: 'no' } : { type: 'data', id, bytes: new Uint8Array(20_000).fill(id) })
    }
    server.send({ type: 'unchoke' })
    const messages = await clientInbox.received(count + 1)
    const answers = messages.filter(m => m.type === 'data' || m.type === 'reject')
    expect(answers.map(m => (m as { id: number }).id).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i + 1))
    for (const m of answers) {
      if (m.type === 'data') expect(m.bytes.every(b => b === m.id)).toBe(true)
    }
    expect(messages.some(m => m.type === 'unchoke')).toBe(true)
    expect(client.closed).toBe(false)
  })

  it('drops an answer to a request that was never made, and keeps the connection', async () => {
    const { server, clientInbox } = await pair()
    await rawResponseStream(server, frameHead(5 + 100, 0x22, 777), new Uint8Array(100))
    server.send({ type: 'choke' })
    expect(await clientInbox.received(1)).toEqual([{ type: 'choke' }])
    server.send({ type: 'unchoke' })
    expect(await clientInbox.received(2)).toEqual([{ type: 'choke' }, { type: 'unchoke' }])
  })

  it('closes with ProtocolError when a response stream carries something other than an answer', async () => {
    const { client, server, clientInbox } = await pair()
    client.send({ type: 'request-chunk', id: 1, content: CONTENT, index: 0 })
    const [have] = encodeHave()
    await rawResponseStream(server, have)
    expect(await clientInbox.closed()).toBeInstanceOf(ProtocolError)
  })

  it('closes with ProtocolError when an answer announces more than maxFrameSize, before allocating it', async () => {
    const { client, server, clientInbox, serverInbox } = await pair()
    client.send({ type: 'request-chunk', id: 1, content: CONTENT, index: 0 })
    expect((await serverInbox.received(1))[0]).toMatchObject({ type: 'request-chunk', id: 1 })
    await rawResponseStream(server, frameHead(0xfffffff0, 0x22, 1), new Uint8Array(16))
    const error = await clientInbox.closed()
    expect(error).toBeInstanceOf(ProtocolError)
    expect(error?.message).toMatch(/more than the limit/)
  })

  it('closes with ProtocolError when bytes follow an answer on its stream', async () => {
    const { client, server, clientInbox } = await pair()
    client.send({ type: 'request-chunk', id: 4, content: CONTENT, index: 0 })
    await rawResponseStream(server, frameHead(5 + 8, 0x22, 4), new Uint8Array(8), new Uint8Array(3))
    expect(await clientInbox.closed()).toBeInstanceOf(ProtocolError)
  })
})

describe('QUIC peers that misbehave or vanish', () => {
  it('closes the connection when the peer vanishes, within the idle timeout', async () => {
    const identity = PeerIdentity.generate()
    const serverInbox = new Inbox()
    const listener = cleanup.listener(await quicNode({ idleTimeout: 800 }, identity).listen('quic://127.0.0.1:0', {
      onConnection: (c) => { cleanup.connection(c); c.start(serverInbox) }
    }))
    const proxy = await UdpProxy.start(parseAddress(listener.addresses[0]).port)
    cleanup.add(() => proxy.close())
    const client = cleanup.connection(await quicNode({ idleTimeout: 800 }).dial(`quic://127.0.0.1:${proxy.port}/p2p/${identity.peerId}`, { signal: AbortSignal.timeout(WAIT) }))
    const inbox = new Inbox()
    client.start(inbox)
    client.send({ type: 'choke' })
    await serverInbox.received(1)
    proxy.vanish()
    const error = await inbox.closed()
    expect(error).toBeInstanceOf(ConnectionClosedError)
    expect(error?.message).toMatch(/stopped answering/)
    expect(() => client.send({ type: 'choke' })).toThrow(ConnectionClosedError)
    expect(await serverInbox.closed()).toBeInstanceOf(ConnectionClosedError)
  })

  it('bounds the handshakes in progress under a flood of abandoned handshakes, then serves again', async () => {
    const transport = quicNode({ maxPendingHandshakes: 4, handshakeTimeout: 500 })
    const accepted: Connection[] = []
    const listener = cleanup.listener(await transport.listen('quic://127.0.0.1:0', {
      onConnection: (c) => { accepted.push(cleanup.connection(c)); c.start(new Inbox()) }
    }))
    const { port } = parseAddress(listener.addresses[0])
    let most = 0
    const sample = setInterval(() => { most = Math.max(most, listener.handshaking) }, 1)
    try {
      for (let round = 0; round < 4; round++) {
        await Promise.all(Array.from({ length: 10 }, async () => { await abandonHandshake(port) }))
        most = Math.max(most, listener.handshaking)
      }
    } finally {
      clearInterval(sample)
    }
    expect(most).toBeGreaterThan(0)
    expect(most).toBeLessThanOrEqual(4)
    // The abandoned handshakes time out and a real peer gets through.
    await until(() => listener.handshaking === 0, 'the abandoned handshakes to time out')
    const connection = cleanup.connection(await transport.dial(listener.addresses[0], { signal: AbortSignal.timeout(WAIT) }))
    expect(connection.remotePeerId).toBe(transport.peerId)
    await until(() => accepted.length === 1, 'the real connection')
  })

  it('keeps accepted connections when the listener closes, and releases the port after them', async () => {
    const { client, clientInbox, server } = await pair()
    const address = client.remoteAddress
    const listeners = (cleanup as unknown as { listeners: Array<{ close: () => Promise<void> }> }).listeners
    await listeners[0].close()
    expect(await rejection(quicNode({ handshakeTimeout: 300 }).dial(address), 'a dial to a closed listener')).toBeInstanceOf(DialError)
    server.send({ type: 'unchoke' })
    expect(await clientInbox.received(1)).toEqual([{ type: 'unchoke' }])
    client.close()
    await until(() => server.closed && (listeners[0] as unknown as QuicListener).connections === 0, 'the server side to close')
    // The UDP port is released once its last connection is gone.
    const { port } = parseAddress(address)
    let again: QuicListener | undefined
    await until(() => { void quicNode().listen(`quic://127.0.0.1:${port}`, { onConnection: (c) => c.close() }).then(l => { again = cleanup.listener(l) }, () => {}); return again !== undefined }, 'the port to be free again')
  })

  it('reports a port in use with ListenError and a foreign peer id with InvalidAddressError', async () => {
    const transport = quicNode()
    const listener = cleanup.listener(await transport.listen('quic://127.0.0.1:0', { onConnection: (c) => c.close() }))
    const { port } = parseAddress(listener.addresses[0])
    expect(await rejection(quicNode().listen(`quic://127.0.0.1:${port}`, { onConnection: (c) => c.close() }), 'a second listener')).toBeInstanceOf(ListenError)
    expect(await rejection(transport.listen(`quic://127.0.0.1:0/p2p/${PeerIdentity.generate().peerId}`, { onConnection: (c) => c.close() }), 'a listen address of another peer')).toBeInstanceOf(InvalidAddressError)
  })
})

function encodeHave (): Uint8Array[] {
  // have: u32 length, type 0x11, CID (length-prefixed), u32 index
  const cid = CONTENT.bytes
  const frame = Buffer.alloc(4 + 1 + 1 + cid.length + 4)
  frame.writeUInt32BE(1 + 1 + cid.length + 4, 0)
  frame[4] = 0x11
  frame[5] = cid.length
  frame.set(cid, 6)
  frame.writeUInt32BE(3, 6 + cid.length)
  return [frame]
}
