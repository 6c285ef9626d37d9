import { randomFillSync } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { ConnectionClosedError, ContentId } from '@codio-chunk/interface'
import { PeerIdentity } from '@codio-chunk/protocol'
import { Inbox, SilenceableRelay, chunkServer, eventually, quinnNode } from './helpers.js'
import type { Connection, Listener, WireMessage } from '@codio-chunk/interface'

const CONTENT = ContentId.parse('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e').cid
const MiB = 1024 * 1024

/** Eight distinct 1 MiB chunks; chunk `i` is `CHUNKS[i % 8]`. */
const CHUNKS = Array.from({ length: 8 }, () => randomFillSync(Buffer.allocUnsafe(MiB)))
const chunkFor = (index: number): Uint8Array => CHUNKS[index % CHUNKS.length]

function same (message: WireMessage, expected: Uint8Array): boolean {
  if (message.type !== 'data') return false
  const bytes = message.bytes
  return Buffer.compare(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), expected) === 0
}

describe('quinn under stress', () => {
  let listeners: Listener[] = []
  let connections: Connection[] = []
  let relays: SilenceableRelay[] = []

  afterEach(async () => {
    for (const connection of connections) connection.close()
    for (const listener of listeners) await listener.close()
    for (const relay of relays) relay.close()
    connections = []
    listeners = []
    relays = []
  })

  it('moves 1 GiB over one connection intact, 16 requests in flight, without holding on to it', async () => {
    const seeder = quinnNode()
    const { listener } = await chunkServer(seeder, 'quinn://127.0.0.1:0', chunkFor)
    listeners.push(listener)
    const client = await quinnNode().dial(listener.addresses[0], { signal: AbortSignal.timeout(10_000) })
    connections.push(client)
    const total = 1024
    let received = 0
    let intact = 0
    let next = 0
    let highestRss = 0
    const rssBefore = process.memoryUsage.rss()
    const inbox = new Inbox((message) => {
      if (message.type !== 'data') return
      received++
      if (same(message, chunkFor(message.id))) intact++
      if (received % 64 === 0) highestRss = Math.max(highestRss, process.memoryUsage.rss())
      if (next < total) request()
    })
    const request = (): void => { client.send({ type: 'request-chunk', id: next, content: CONTENT, index: next++ }) }
    client.start(inbox)
    for (let i = 0; i < 16; i++) request()
    await inbox.until(() => received === total || inbox.closed, '1 GiB', 45_000)
    expect(inbox.closed).toBe(false)
    expect(received).toBe(total)
    expect(intact).toBe(total)
    // Moving 1 GiB must not grow the process by anything like 1 GiB: answers are not retained.
    expect(highestRss - rssBefore).toBeLessThan(384 * MiB)
  })

  it('answers 64 requests at once, each on a stream of its own, beyond the peer\'s stream limit of 16', async () => {
    const { listener } = await chunkServer(quinnNode(), 'quinn://127.0.0.1:0', chunkFor)
    listeners.push(listener)
    const client = await quinnNode({ maxStreams: 16 }).dial(listener.addresses[0], { signal: AbortSignal.timeout(10_000) })
    connections.push(client)
    const inbox = new Inbox()
    client.start(inbox)
    for (let id = 0; id < 64; id++) client.send({ type: 'request-chunk', id, content: CONTENT, index: id * 3 })
    client.send({ type: 'have', content: CONTENT, index: 1 })
    await inbox.until(() => inbox.messages.length === 64, '64 answers')
    const ids = inbox.messages.map((message) => (message as { id: number }).id).sort((a, b) => a - b)
    expect(ids).toEqual(Array.from({ length: 64 }, (_, id) => id))
    expect(inbox.messages.every((message) => same(message, chunkFor((message as { id: number }).id * 3)))).toBe(true)
    expect(client.closed).toBe(false)
  })

  it('survives a peer killed mid-transfer: both sides close with an error and the seeder serves the next peer', async () => {
    const identity = PeerIdentity.generate()
    const seeder = quinnNode({ idleTimeout: 1500 }, identity)
    const { listener, accepted, closes } = await chunkServer(seeder, 'quinn://127.0.0.1:0', chunkFor)
    listeners.push(listener)
    const port = Number(listener.addresses[0].split('/')[2].split(':')[1])
    const relay = await SilenceableRelay.open(port)
    relays.push(relay)
    const client = await quinnNode({ idleTimeout: 1500 }).dial(`quinn://127.0.0.1:${relay.port}/p2p/${identity.peerId}`, { signal: AbortSignal.timeout(10_000) })
    connections.push(client)
    let received = 0
    let id = 0
    const request = (): void => {
      if (!client.closed) client.send({ type: 'request-chunk', id: id++, content: CONTENT, index: id })
    }
    const inbox = new Inbox((message) => {
      if (message.type !== 'data') return
      received++
      if (received === 16) relay.kill()
      request()
    })
    client.start(inbox)
    for (let i = 0; i < 8; i++) request()
    await inbox.until(() => inbox.closed, 'the downloader to notice the dead peer')
    expect(inbox.closeError).toBeInstanceOf(ConnectionClosedError)
    expect(received).toBeGreaterThanOrEqual(16)
    expect(() => client.send({ type: 'choke' })).toThrow(ConnectionClosedError)
    // The seeder side sees the same silence and lets the connection go.
    await closes.until(() => accepted[0]?.closed === true && listener.connections === 0, 'the seeder to drop the dead connection')
    const next = await quinnNode().dial(listener.addresses[0], { signal: AbortSignal.timeout(10_000) })
    connections.push(next)
    const nextInbox = new Inbox()
    next.start(nextInbox)
    next.send({ type: 'request-chunk', id: 7, content: CONTENT, index: 5 })
    await nextInbox.until(() => nextInbox.messages.length === 1, 'an answer to the next peer')
    expect(same(nextInbox.messages[0], chunkFor(5))).toBe(true)
  })

  it('connects and disconnects 20 times, either side closing, and keeps no connection behind', async () => {
    const { listener, accepted, closes } = await chunkServer(quinnNode(), 'quinn://127.0.0.1:0', chunkFor)
    listeners.push(listener)
    const dialler = quinnNode()
    for (let round = 0; round < 20; round++) {
      const client = await dialler.dial(listener.addresses[0], { signal: AbortSignal.timeout(10_000) })
      const inbox = new Inbox()
      client.start(inbox)
      client.send({ type: 'request-chunk', id: round, content: CONTENT, index: round })
      await inbox.until(() => inbox.messages.length === 1, `the answer of round ${round}`)
      expect(same(inbox.messages[0], chunkFor(round))).toBe(true)
      const server = accepted[round]
      if (round % 2 === 0) client.close()
      else server.close()
      await inbox.until(() => inbox.closed, `the close of round ${round}`)
      await closes.until(() => server.closed, `the server side of round ${round} to close`)
    }
    expect(accepted).toHaveLength(20)
    await eventually(() => listener.connections === 0, 'the listener to hold no connection')
  })
})
