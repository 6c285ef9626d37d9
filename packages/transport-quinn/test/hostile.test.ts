import { afterEach, describe, expect, it } from 'vitest'
import { ContentId, ProtocolError } from '@codio-chunk/interface'
import { PeerIdentity, encodeMessage } from '@codio-chunk/protocol'
import { libp2pKey, loadNativeBinding } from '../src/index.js'
import { Inbox, eventually, quinnNode } from './helpers.js'
import type { Connection, Listener } from '@codio-chunk/interface'
import type { NativeConnection, NativeStream } from '../src/native.js'

const CONTENT = ContentId.parse('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e').cid
const CONTROL = 0x01
const RESPONSE = 0x02

/** A peer on the bare binding, free to break the protocol. */
function rawConfig (): unknown {
  return new (loadNativeBinding().QuinnConfig)({
    privateKeyProto: libp2pKey(PeerIdentity.generate()).privateKeyProto,
    handshakeTimeout: 5000,
    shutdownTimeout: 500,
    maxIdleTimeout: 10_000,
    keepAliveInterval: 3000,
    maxConcurrentStreamLimit: 64,
    maxStreamData: 1 << 20,
    maxConnectionData: 1 << 22,
    receiveBufferSize: 1 << 20,
    sendBufferSize: 1 << 20
  })
}

function portOf (address: string): number {
  return Number(address.split('/')[2].split(':')[1])
}

function frame (message: Parameters<typeof encodeMessage>[0]): Buffer {
  return Buffer.concat(encodeMessage(message))
}

describe('quinn against a peer that breaks the protocol', () => {
  let listeners: Listener[] = []
  let natives: NativeConnection[] = []
  let connections: Connection[] = []

  afterEach(async () => {
    for (const native of natives) native.abort()
    for (const connection of connections) connection.close()
    for (const listener of listeners) await listener.close()
    natives = []
    connections = []
    listeners = []
  })

  /** Our listener, and a raw client connected to it whose control stream was accepted. */
  async function rawClient (options: { handshakeTimeout?: number } = {}): Promise<{ native: NativeConnection, control: NativeStream, server: Promise<Connection>, inbox: Inbox, listener: Listener & { connections: number } }> {
    const inbox = new Inbox()
    let accepted!: (conn: Connection) => void
    const server = new Promise<Connection>((resolve) => { accepted = resolve })
    const listener = await quinnNode({ handshakeTimeout: options.handshakeTimeout ?? 5000 }, undefined, 64 * 1024).listen('quinn://127.0.0.1:0', {
      onConnection: (conn) => { connections.push(conn); conn.start(inbox); accepted(conn) }
    }) as Listener & { connections: number }
    listeners.push(listener)
    const client = new (loadNativeBinding().Client)(rawConfig() as never, 0)
    const native = await client.outboundConnection('127.0.0.1', portOf(listener.addresses[0]))
    natives.push(native)
    const control = await native.outboundStream()
    await control.write(Uint8Array.of(CONTROL))
    expect(Array.from(await control.read(1) ?? [])).toEqual([0x01])
    return { native, control, server, inbox, listener }
  }

  /** A dialled connection of ours to a raw server, and the raw server's view of it. */
  async function rawServer (): Promise<{ conn: Connection, inbox: Inbox, native: NativeConnection, control: NativeStream }> {
    const server = new (loadNativeBinding().Server)(rawConfig() as never, '127.0.0.1', 0)
    listeners.push({ addresses: [], close: async () => { await server.abort() } })
    const accepting = (async () => {
      const native = await server.inboundConnection()
      const control = await native.inboundStream()
      expect(Array.from(await control.read(1) ?? [])).toEqual([CONTROL])
      await control.write(Uint8Array.of(0x01))
      return { native, control }
    })()
    const conn = await quinnNode({}, undefined, 64 * 1024).dial(`quinn://127.0.0.1:${server.port()}`, { signal: AbortSignal.timeout(10_000) })
    connections.push(conn)
    const { native, control } = await accepting
    natives.push(native)
    const inbox = new Inbox()
    conn.start(inbox)
    return { conn, inbox, native, control }
  }

  it('drops an answer to a request it never made, and carries on', async () => {
    const { conn, inbox, native, control } = await rawServer()
    const stray = await native.outboundStream()
    await stray.write(Buffer.concat([Uint8Array.of(RESPONSE), frame({ type: 'data', id: 77, bytes: new Uint8Array(1000) })]))
    await stray.finishWrite()
    await control.write(frame({ type: 'unchoke' }))
    await inbox.until(() => inbox.messages.length === 1, 'the unchoke')
    expect(inbox.messages).toEqual([{ type: 'unchoke' }])
    expect(conn.closed).toBe(false)
  })

  it('closes with a ProtocolError when an answer announces a frame above maxFrameSize, before allocating it', async () => {
    const { conn, inbox, native } = await rawServer()
    conn.send({ type: 'request-chunk', id: 5, content: CONTENT, index: 0 })
    const head = Buffer.alloc(10)
    head[0] = RESPONSE
    head.writeUInt32BE(0xfffffff0, 1)
    head[5] = 0x22
    head.writeUInt32BE(5, 6)
    const stream = await native.outboundStream()
    await stream.write(head)
    await inbox.until(() => inbox.closed, 'the connection to close')
    expect(inbox.closeError).toBeInstanceOf(ProtocolError)
  })

  it('closes with a ProtocolError when a stream of an unknown kind arrives, or an answer carries extra bytes', async () => {
    const first = await rawServer()
    const odd = await first.native.outboundStream()
    await odd.write(Uint8Array.of(0x7f, 1, 2, 3))
    await first.inbox.until(() => first.inbox.closed, 'the connection to close')
    expect(first.inbox.closeError).toBeInstanceOf(ProtocolError)

    const second = await rawServer()
    second.conn.send({ type: 'request-chunk', id: 1, content: CONTENT, index: 0 })
    const answer = await second.native.outboundStream()
    await answer.write(Buffer.concat([Uint8Array.of(RESPONSE), frame({ type: 'data', id: 1, bytes: new Uint8Array(10) }), Uint8Array.of(9, 9)]))
    await answer.finishWrite()
    await second.inbox.until(() => second.inbox.closed, 'the second connection to close')
    expect(second.inbox.closeError).toBeInstanceOf(ProtocolError)
  })

  it('closes with a ProtocolError on an oversized control frame, after the messages before it', async () => {
    const { control, server, inbox } = await rawClient()
    await control.write(Buffer.concat([frame({ type: 'choke' }), frame({ type: 'data', id: 1, bytes: new Uint8Array(128 * 1024) })]))
    await inbox.until(() => inbox.closed, 'the server connection to close')
    expect(inbox.messages).toEqual([{ type: 'choke' }])
    expect(inbox.closeError).toBeInstanceOf(ProtocolError)
    expect((await server).closed).toBe(true)
  })

  it('drops a peer that completes the handshake but opens no control stream, and keeps serving', async () => {
    const inbox = new Inbox()
    const listener = await quinnNode({ handshakeTimeout: 300 }).listen('quinn://127.0.0.1:0', {
      onConnection: (conn) => { connections.push(conn); conn.start(inbox) }
    }) as Listener & { connections: number }
    listeners.push(listener)
    const silent = await new (loadNativeBinding().Client)(rawConfig() as never, 0).outboundConnection('127.0.0.1', portOf(listener.addresses[0]))
    natives.push(silent)
    let gone = false
    void silent.closed().then(() => { gone = true })
    await eventually(() => gone, 'the listener to drop the silent peer')
    expect(listener.connections).toBe(0)
    const conn = await quinnNode().dial(listener.addresses[0], { signal: AbortSignal.timeout(10_000) })
    connections.push(conn)
    conn.start(new Inbox())
    conn.send({ type: 'choke' })
    await inbox.until(() => inbox.messages.length === 1, 'a message from a well-behaved peer')
  })
})
