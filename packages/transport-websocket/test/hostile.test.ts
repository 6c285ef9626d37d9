// Peers that break the rules: bad handshakes, silent and slow peers, oversized and text messages,
// handshake floods, plain HTTP. Each is refused with a clear reason and bounded in time and memory;
// the listener keeps serving honest peers.
import { get } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { PeerIdentity, createComponents, parseAddress } from '@codio-chunk/protocol'
import type { Connection, Listener, WireMessage } from '@codio-chunk/interface'
import { AuthHandshake, CloseCode } from '../src/handshake.js'
import { webSocketTransport } from '../src/index.js'
import type { NodeWebSocketTransportInit } from '../src/index.js'

const open: Array<{ close: () => unknown }> = []
afterEach(async () => {
  for (const item of open.splice(0)) await item.close()
})

interface Served {
  listener: Listener
  address: string
  accepted: Connection[]
  closes: Array<Error | undefined>
  messages: WireMessage[]
}

async function serve (init: NodeWebSocketTransportInit = {}): Promise<Served> {
  const accepted: Connection[] = []
  const closes: Array<Error | undefined> = []
  const messages: WireMessage[] = []
  const listener = await webSocketTransport(init)(createComponents()).listen('ws://127.0.0.1:0', {
    onConnection: (connection) => {
      accepted.push(connection)
      connection.start({ onMessage: (m) => messages.push(m), onClose: (error) => closes.push(error) })
    }
  })
  open.push(listener)
  return { listener, address: listener.addresses[0], accepted, closes, messages }
}

function url (address: string): string {
  const { host, port } = parseAddress(address)
  return `ws://${host}:${port}/`
}

/** A raw WebSocket to the listener; resolves with how the listener closed it. */
async function closedBy (ws: WebSocket): Promise<{ code: number, reason: string }> {
  return await new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
}

async function rawSocket (address: string): Promise<WebSocket> {
  const ws = new WebSocket(url(address))
  ws.on('error', () => {})
  open.push({ close: () => ws.terminate() })
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  return ws
}

/** A raw client that completes the handshake honestly, then does what the test wants. */
async function authenticatedSocket (address: string): Promise<WebSocket> {
  const ws = new WebSocket(url(address))
  ws.on('error', () => {})
  open.push({ close: () => ws.terminate() })
  const handshake = new AuthHandshake(PeerIdentity.generate(), 'dialler')
  // Listening from the start: the listener's challenge may arrive right with the upgrade.
  await new Promise<void>((resolve, reject) => {
    const onMessage = (data: Buffer): void => {
      const step = handshake.receive(new Uint8Array(data))
      if (step.send !== undefined) ws.send(step.send)
      if (step.peerId !== undefined) { ws.off('message', onMessage); resolve() }
    }
    ws.on('message', onMessage)
    ws.once('open', () => ws.send(handshake.challenge()))
    ws.once('close', () => reject(new Error('closed during the handshake')))
  })
  return ws
}

async function until (condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** An honest dial still works: the listener survived. */
async function stillServes (address: string): Promise<void> {
  const connection = await webSocketTransport()(createComponents()).dial(address, { signal: AbortSignal.timeout(5000) })
  expect(connection.remotePeerId).toBeDefined()
  connection.close()
}

describe('a WebSocket listener facing hostile peers', () => {
  it('refuses a peer that does not open with a challenge', async () => {
    const { address, accepted } = await serve()
    const ws = await rawSocket(address)
    const closed = closedBy(ws)
    ws.send(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'))
    const { code, reason } = await closed
    expect(code).toBe(CloseCode.HandshakeRefused)
    expect(reason).toMatch(/magic/)
    expect(accepted).toHaveLength(0)
    await stillServes(address)
  })

  it('refuses a forged proof', async () => {
    const { address, accepted } = await serve()
    const ws = await rawSocket(address)
    const closed = closedBy(ws)
    const handshake = new AuthHandshake(PeerIdentity.generate(), 'dialler')
    ws.send(handshake.challenge())
    ws.once('message', () => {
      const forged = new Uint8Array(96)
      forged.set(PeerIdentity.generate().publicKey, 0)
      ws.send(forged)
    })
    expect((await closed).code).toBe(CloseCode.HandshakeRefused)
    expect(accepted).toHaveLength(0)
  })

  it('drops a peer that never completes the handshake, after handshakeTimeout', async () => {
    const { address } = await serve({ handshakeTimeout: 200 })
    const ws = await rawSocket(address)
    const started = performance.now()
    const { code } = await closedBy(ws)
    expect(code).toBe(CloseCode.HandshakeTimeout)
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('bounds sockets that have not finished their handshake (maxPendingHandshakes)', async () => {
    const { address, listener } = await serve({ maxPendingHandshakes: 2, handshakeTimeout: 300 })
    const { port } = parseAddress(address)
    const sockets = Array.from({ length: 3 }, () => connect({ host: '127.0.0.1', port }))
    for (const socket of sockets) open.push({ close: () => socket.destroy() })
    const ended = await Promise.all(sockets.map(async (socket) => await new Promise<number>((resolve) => {
      const started = performance.now()
      socket.on('error', () => {})
      socket.on('close', () => resolve(performance.now() - started))
    })))
    // The third is dropped at once; the other two when their upgrade request does not come in time.
    expect(Math.min(...ended)).toBeLessThan(200)
    await until(() => (listener as unknown as { handshaking: number }).handshaking === 0, 'the pending handshakes to be let go')
    await stillServes(address)
  })

  it('closes a connection sent a message over 64 KiB', async () => {
    const { address, closes, accepted } = await serve()
    const ws = await authenticatedSocket(address)
    await until(() => accepted.length === 1, 'the connection')
    const closed = closedBy(ws)
    ws.send(new Uint8Array(64 * 1024 + 1))
    expect((await closed).code).toBe(1009)
    await until(() => closes.length === 1, 'onClose')
    expect(closes[0]?.name).toBe('ProtocolError')
    await stillServes(address)
  })

  it('closes a connection sent a text message', async () => {
    const { address, closes, accepted } = await serve()
    const ws = await authenticatedSocket(address)
    await until(() => accepted.length === 1, 'the connection')
    ws.send('hello')
    await until(() => closes.length === 1, 'onClose')
    expect(closes[0]?.name).toBe('ProtocolError')
    expect(closes[0]?.message).toMatch(/text WebSocket message/)
  })

  it('closes a connection whose peer stops in the middle of a frame, after frameTimeout', async () => {
    const { address, closes, accepted } = await serve({ frameTimeout: 300 })
    const ws = await authenticatedSocket(address)
    await until(() => accepted.length === 1, 'the connection')
    ws.send(Uint8Array.of(0, 0, 0, 20, 0x11, 1, 2))
    await until(() => closes.length === 1, 'onClose')
    expect(closes[0]?.message).toMatch(/stopped sending/)
  })

  it('answers plain HTTP with 426 Upgrade Required', async () => {
    const { address } = await serve()
    const { port } = parseAddress(address)
    const status = await new Promise<number>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/' }, (res) => { res.resume(); resolve(res.statusCode ?? 0) }).on('error', reject)
    })
    expect(status).toBe(426)
  })
})

describe('dialling something that is not a codio-chunk node', () => {
  async function wsServer (onConnection: (ws: WebSocket) => void): Promise<string> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    server.on('connection', onConnection)
    await new Promise(resolve => server.once('listening', resolve))
    open.push({ close: async () => { for (const c of server.clients) c.terminate(); await new Promise(resolve => server.close(resolve)) } })
    return `ws://127.0.0.1:${(server.address() as { port: number }).port}`
  }

  it('fails with a DialError saying the handshake was refused', async () => {
    const address = await wsServer((ws) => ws.send(Buffer.from('welcome to my chat server')))
    const err = await webSocketTransport()(createComponents()).dial(address).then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name).toBe('DialError')
    expect(err?.message).toMatch(/handshake.*magic/)
    expect((err?.cause as Error)?.name).toBe('HandshakeError')
  })

  it('fails with a DialError within handshakeTimeout when the server never speaks', async () => {
    const address = await wsServer(() => {})
    const started = performance.now()
    const err = await webSocketTransport({ handshakeTimeout: 300 })(createComponents()).dial(address).then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name).toBe('DialError')
    expect(performance.now() - started).toBeLessThan(3000)
  })
})
