import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { AbortError, ConnectionClosedError, DialError, GoodbyeCode, InvalidConfigError, ProtocolError } from '@codio-chunk/interface'
import { FrameDecoder, createComponents, decodeFrame, encodeMessage, parseAddress } from '@codio-chunk/protocol'
import { ListenError, tcpTransport } from '../src/index.js'
import type { Connection, ConnectionHandler, Listener, Transport, WireMessage } from '@codio-chunk/interface'
import type { TcpTransportInit } from '../src/index.js'

const WAIT = 10_000

/** A TCP transport of a node of its own (components with the given frame limit). */
function makeTcp (init: TcpTransportInit = {}, maxFrameSize?: number): Transport {
  return tcpTransport(init)(createComponents({ maxFrameSize }))
}

async function within<T> (promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), WAIT)
    })])
  } finally {
    clearTimeout(timer)
  }
}

type Recorder = ConnectionHandler & {
  messages: WireMessage[]
  closed: Promise<Error | undefined>
  /** Resolves once `count` messages have arrived. */
  received: (count: number) => Promise<WireMessage[]>
}

/** Records messages and the close of one connection. */
function recorder (): Recorder {
  let onClosed!: (error: Error | undefined) => void
  const closed = new Promise<Error | undefined>((resolve) => { onClosed = resolve })
  const messages: WireMessage[] = []
  const waiters: Array<{ count: number, resolve: () => void }> = []
  return {
    messages,
    closed,
    onMessage: (m) => {
      messages.push(m)
      for (const w of waiters.filter(w => messages.length >= w.count)) w.resolve()
    },
    onClose: (error) => onClosed(error),
    received: async (count) => {
      if (messages.length < count) await within(new Promise<void>((resolve) => waiters.push({ count, resolve })), `${count} messages`)
      return messages
    }
  }
}

/** A plain node:net client that writes raw bytes and collects everything until the server closes. */
async function rawExchange (address: string, ...writes: Uint8Array[]): Promise<Uint8Array> {
  const { host, port } = parseAddress(address)
  const socket = net.connect({ host, port })
  const received: Buffer[] = []
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  await within(new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) }), 'raw connect')
  for (const bytes of writes) socket.write(bytes)
  await within(new Promise<void>((resolve) => { socket.once('close', () => resolve()); socket.on('error', () => {}) }), 'the server to close the raw connection')
  return Buffer.concat(received)
}

function framesOf (bytes: Uint8Array): WireMessage[] {
  const out: WireMessage[] = []
  new FrameDecoder({ maxFrameSize: 1 << 20 }).push(bytes, (frame) => out.push(decodeFrame(frame)))
  return out
}

function u32 (value: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, value)
  return out
}

describe('tcp transport', () => {
  let listeners: Listener[] = []
  let connections: Connection[] = []
  afterEach(async () => {
    for (const c of connections) c.close()
    for (const l of listeners) await l.close()
    listeners = []
    connections = []
  })

  /** A listener whose inbound connections are recorded; `inbound` yields their recorders in order. */
  async function recordingListener (options: { maxFrameSize?: number, address?: string, init?: TcpTransportInit } = {}): Promise<{ listener: Listener, inbound: Array<Recorder>, next: () => Promise<Recorder> }> {
    const inbound: Array<Recorder> = []
    const waiting: Array<(r: Recorder) => void> = []
    const listener = await makeTcp(options.init ?? {}, options.maxFrameSize).listen(options.address ?? 'tcp://127.0.0.1:0', {
      onConnection: (connection) => {
        connections.push(connection)
        const r = recorder()
        connection.start(r)
        inbound.push(r)
        waiting.shift()?.(r)
      }
    })
    listeners.push(listener)
    let taken = 0
    const next = async (): Promise<Recorder> => {
      const index = taken++
      if (inbound[index] !== undefined) return inbound[index]
      return await within(new Promise((resolve) => waiting.push(resolve)), 'an inbound connection')
    }
    return { listener, inbound, next }
  }

  async function expectStillServing (listener: Listener, next: () => Promise<Recorder>): Promise<void> {
    const client = await makeTcp().dial(listener.addresses[0], { signal: AbortSignal.timeout(WAIT) })
    connections.push(client)
    client.start(recorder())
    client.send({ type: 'cancel', id: 77 })
    const server = await next()
    expect(await server.received(1)).toEqual([{ type: 'cancel', id: 77 }])
  }

  it('calls a send\'s `sent` callback once per message, after its bytes were written, and on a closed socket too', async () => {
    // (Frames under 64 KiB: a longer data frame must answer a request of the receiver's.)
    const { listener, next } = await recordingListener()
    const client = await makeTcp().dial(listener.addresses[0], { signal: AbortSignal.timeout(WAIT) })
    connections.push(client)
    client.start(recorder())
    const payloads = Array.from({ length: 8 }, (_, i) => new Uint8Array(60 * 1024).fill(i + 1))
    const calls = payloads.map(() => 0)
    const allSent = Promise.all(payloads.map(async (bytes, id) => {
      await new Promise<void>((resolve) => { client.send({ type: 'data', id, bytes }, () => { calls[id]++; resolve() }) })
    }))
    await within(allSent, 'every sent callback')
    const server = await next()
    const messages = await server.received(8)
    expect(messages.map(m => m.type === 'data' && Buffer.from(m.bytes).equals(Buffer.from(payloads[m.id])))).toEqual(payloads.map(() => true))
    expect(calls).toEqual(payloads.map(() => 1))
    // Bytes queued on a connection being closed are written or dropped: either way the callback runs, once.
    let dropped = 0
    const droppedCalled = new Promise<void>((resolve) => {
      client.send({ type: 'data', id: 99, bytes: new Uint8Array(4 * 1024 * 1024) }, () => { dropped++; resolve() })
    })
    client.close()
    await within(droppedCalled, 'the callback of a send on a closing connection')
    expect(dropped).toBe(1)
  })

  it('drops a peer that stops in the middle of a frame, after frameTimeout, and one that announces a long frame nobody asked for at once', async () => {
    const { listener, next } = await recordingListener({ init: { frameTimeout: 200 } })
    const { host, port } = parseAddress(listener.addresses[0])
    // Half of a 40 KiB frame, then silence: the frame's buffer would be held for ever.
    const half = net.connect({ host, port })
    half.on('error', () => {})
    half.write(Uint8Array.of(...u32(40 * 1024), 0x13, 1, 2, 3))
    const first = await next()
    const started = performance.now()
    const error = await within(first.closed, 'the stalled connection to close')
    expect(error).toBeInstanceOf(ProtocolError)
    expect(error?.message).toMatch(/stopped sending .* in the middle of a frame/)
    expect(performance.now() - started).toBeLessThan(2000)
    half.destroy()
    // The length and head of a 4 MiB data frame answering no request: refused before anything is allocated.
    const reply = await rawExchange(listener.addresses[0], Uint8Array.of(...u32(4 * 1024 * 1024), 0x22, 0, 0, 0, 7))
    expect(await within((await next()).closed, 'the second connection to close')).toBeInstanceOf(ProtocolError)
    expect(framesOf(reply).map(m => m.type)).toEqual(['goodbye'])
  })

  it('answers a frame of unknown type with goodbye(ProtocolError), closes, and keeps serving', async () => {
    const { listener, next } = await recordingListener()
    const reply = await rawExchange(listener.addresses[0], Uint8Array.of(0, 0, 0, 3, 0x7f, 1, 2))
    const server = await next()
    expect(await within(server.closed, 'server onClose')).toBeInstanceOf(ProtocolError)
    const [goodbye] = framesOf(reply)
    expect(goodbye).toMatchObject({ type: 'goodbye', code: GoodbyeCode.ProtocolError })
    expect((goodbye as { reason: string }).reason).toMatch(/unknown type 0x7f/)
    await expectStillServing(listener, next)
  })

  it('closes on a 2^31 length prefix without allocating it', async () => {
    const { listener, next } = await recordingListener()
    const before = process.memoryUsage().arrayBuffers
    await rawExchange(listener.addresses[0], u32(2 ** 31), new Uint8Array(64))
    const error = await within((await next()).closed, 'server onClose')
    expect(error).toBeInstanceOf(ProtocolError)
    expect(error?.message).toMatch(/2147483648 bytes, more than the limit/)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024)
    await expectStillServing(listener, next)
  })

  it('accepts a frame at maxFrameSize and rejects one a byte over', async () => {
    const { listener, next } = await recordingListener({ maxFrameSize: 1000 })
    const atLimit = encodeMessage({ type: 'data', id: 1, bytes: new Uint8Array(1000 - 5) })
    const reply = await rawExchange(listener.addresses[0], ...atLimit, u32(1001), Uint8Array.of(0x22))
    const server = await next()
    expect(await within(server.closed, 'server onClose')).toBeInstanceOf(ProtocolError)
    expect(server.messages).toHaveLength(1)
    expect(framesOf(reply)[0]).toMatchObject({ type: 'goodbye', code: GoodbyeCode.ProtocolError })
    await expectStillServing(listener, next)
  })

  it('closes on random garbage, a zero-length frame and a truncated field', async () => {
    const { listener, next } = await recordingListener()
    const garbage = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff)
    for (const bytes of [garbage, u32(0), Uint8Array.of(0, 0, 0, 2, 0x24, 0)]) {
      await rawExchange(listener.addresses[0], bytes)
      expect(await within((await next()).closed, 'server onClose')).toBeInstanceOf(ProtocolError)
    }
    await expectStillServing(listener, next)
  })

  it('reassembles frames written one byte at a time', async () => {
    const { listener, next } = await recordingListener()
    const messages: WireMessage[] = [{ type: 'choke' }, { type: 'cancel', id: 5 }, { type: 'data', id: 6, bytes: Uint8Array.of(1, 2, 3) }]
    const stream = Buffer.concat(messages.flatMap(m => encodeMessage(m)))
    const { port } = parseAddress(listener.addresses[0])
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true })
    socket.on('error', () => {})
    const server = await next()
    for (let i = 0; i < stream.length; i++) socket.write(stream.subarray(i, i + 1))
    await server.received(3)
    expect(server.messages.map(m => m.type)).toEqual(['choke', 'cancel', 'data'])
    const data = server.messages[2] as { bytes: Uint8Array }
    expect([...data.bytes]).toEqual([1, 2, 3])
    socket.destroy()
  })

  it('reports a port in use as ListenError', async () => {
    const { listener } = await recordingListener()
    const err = await makeTcp().listen(listener.addresses[0], { onConnection: () => {} }).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(ListenError)
    expect((err as ListenError).code).toBe('ERR_LISTEN')
    expect((err as Error).message).toMatch(/already in use/)
  })

  it('reports wildcard listen addresses as given, with the real port', async () => {
    const { listener, next } = await recordingListener({ address: 'tcp://0.0.0.0:0' })
    const { host, port } = parseAddress(listener.addresses[0])
    expect(host).toBe('0.0.0.0')
    expect(port).toBeGreaterThan(0)
    const client = await makeTcp().dial(`tcp://127.0.0.1:${port}`)
    connections.push(client)
    client.start(recorder())
    await next()
  })

  it('stops listening when the listen signal aborts, and rejects an already-aborted listen', async () => {
    const controller = new AbortController()
    const listener = await makeTcp().listen('tcp://127.0.0.1:0', { signal: controller.signal, onConnection: (c) => c.close() })
    controller.abort()
    const err = await makeTcp().dial(listener.addresses[0]).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(DialError)
    const aborted = await makeTcp().listen('tcp://127.0.0.1:0', { signal: AbortSignal.abort(), onConnection: () => {} }).then(() => undefined, (e: unknown) => e)
    expect(aborted).toBeInstanceOf(AbortError)
  })

  it('rejects a pending drain() when the connection closes, and when its signal aborts', async () => {
    const tcp = makeTcp({ highWaterMark: 64 * 1024, closeTimeout: 50 })
    // The server never starts its connection, so nothing is read and the client's queue grows.
    const listener = await tcp.listen('tcp://127.0.0.1:0', { onConnection: (c) => { connections.push(c) } })
    listeners.push(listener)
    const client = await tcp.dial(listener.addresses[0])
    connections.push(client)
    client.start(recorder())
    const chunk = new Uint8Array(1024 * 1024)
    for (let i = 0; i < 48; i++) client.send({ type: 'data', id: i, bytes: chunk })
    expect(client.bufferedBytes).toBeGreaterThan(64 * 1024)
    const controller = new AbortController()
    const aborted = client.drain({ signal: controller.signal }).then(() => undefined, (e: unknown) => e)
    const pending = client.drain().then(() => undefined, (e: unknown) => e)
    controller.abort()
    expect(await within(aborted, 'the aborted drain')).toBeInstanceOf(AbortError)
    client.close()
    expect(await within(pending, 'the pending drain')).toBeInstanceOf(ConnectionClosedError)
    expect(await client.drain().then(() => undefined, (e: unknown) => e)).toBeInstanceOf(ConnectionClosedError)
  })

  it('closes a connection whose onConnection handler throws, and keeps serving', async () => {
    let calls = 0
    const listener = await makeTcp().listen('tcp://127.0.0.1:0', {
      onConnection: (connection) => {
        connections.push(connection)
        if (calls++ === 0) throw new Error('handler bug')
        connection.start({ onMessage: (m) => connection.send(m), onClose: () => {} })
      }
    })
    listeners.push(listener)
    const first = await makeTcp().dial(listener.addresses[0])
    connections.push(first)
    const firstEvents = recorder()
    first.start(firstEvents)
    await within(firstEvents.closed, 'the first connection to close')
    const second = await makeTcp().dial(listener.addresses[0])
    connections.push(second)
    const secondEvents = recorder()
    second.start(secondEvents)
    second.send({ type: 'unchoke' })
    expect(await secondEvents.received(1)).toEqual([{ type: 'unchoke' }])
  })

  it('validates its options', () => {
    expect(() => tcpTransport({ highWaterMark: 0 })).toThrow(InvalidConfigError)
    expect(() => tcpTransport({ closeTimeout: -1 })).toThrow(InvalidConfigError)
    expect(() => createComponents({ maxFrameSize: 2 ** 32 })).toThrow(InvalidConfigError)
    const tcp = makeTcp()
    expect(tcp.name).toBe('tcp')
    expect(tcp.protocols).toEqual(['tcp'])
  })
})
