// A node closes a connection whose hello it cannot work with (PROTOCOL.md, section 4): a
// maxFrameSize below 64 KiB, a maxRequests of 0, a peer id that is not an Ed25519 peer id.
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import {
  FrameDecoder, GoodbyeCode, PeerIdentity, decodeFrame, encodeMessage, parseAddress,
  type ChunkDistributor, type HelloMessage, type WireMessage
} from '@codio-chunk/core'
import { startNode, stopAll } from './swarm-helpers.js'

const nodes: ChunkDistributor[] = []
afterEach(async () => { await stopAll(nodes) })

/** Sends `hello` to `node` over a raw TCP socket; resolves with what the node sent until it closed (10 s at most). */
async function helloTo (node: ChunkDistributor, hello: Partial<HelloMessage>): Promise<WireMessage[]> {
  const { host, port } = parseAddress(node.addresses[0])
  const socket = connect(port, host)
  const received: WireMessage[] = []
  const decoder = new FrameDecoder({ maxFrameSize: 1 << 20 })
  socket.on('data', (piece: Buffer) => { decoder.push(piece, (frame) => { received.push(decodeFrame(frame)) }, true) })
  socket.on('error', () => {})
  const closed = new Promise<void>(resolve => socket.once('close', () => { resolve() }))
  await new Promise(resolve => socket.once('connect', resolve))
  const message: HelloMessage = { type: 'hello', version: 1, peerId: PeerIdentity.generate().peerId, maxFrameSize: 1 << 20, maxRequests: 16, addresses: [], agent: 'test', ...hello }
  for (const part of encodeMessage(message)) socket.write(part)
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<void>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error('the node kept the connection open')) }, 10_000) })
  try {
    await Promise.race([closed, timeout])
  } finally {
    clearTimeout(timer)
    socket.destroy()
  }
  return received
}

describe('hellos a node refuses', () => {
  const cases: Array<[string, Partial<HelloMessage>, RegExp]> = [
    ['maxFrameSize 0', { maxFrameSize: 0 }, /maxFrameSize/],
    ['maxFrameSize 1', { maxFrameSize: 1 }, /maxFrameSize/],
    ['maxFrameSize 64 KiB - 1', { maxFrameSize: 65535 }, /maxFrameSize/],
    ['maxRequests 0', { maxRequests: 0 }, /maxRequests/],
    ['a peer id that is not an Ed25519 peer id', { peerId: 'not-a-peer-id' }, /peer id/]
  ]
  for (const [name, hello, reason] of cases) {
    it(`${name}: goodbye ProtocolError, then the connection closes`, async () => {
      const node = await startNode()
      nodes.push(node)
      const received = await helloTo(node, hello)
      const goodbye = received.find(m => m.type === 'goodbye')
      expect(goodbye).toMatchObject({ type: 'goodbye', code: GoodbyeCode.ProtocolError })
      expect(goodbye?.type === 'goodbye' ? goodbye.reason : '').toMatch(reason)
      expect(node.peerStats()).toHaveLength(0)
    })
  }

  it('keeps a connection whose hello is at the minimums', async () => {
    const node = await startNode()
    nodes.push(node)
    const peerId = PeerIdentity.generate().peerId
    const { host, port } = parseAddress(node.addresses[0])
    const socket = connect(port, host)
    socket.on('error', () => {})
    socket.on('data', () => {})
    await new Promise(resolve => socket.once('connect', resolve))
    for (const part of encodeMessage({ type: 'hello', version: 1, peerId, maxFrameSize: 65536, maxRequests: 1, addresses: [], agent: 'test' })) socket.write(part)
    const deadline = Date.now() + 10_000
    while (!node.peerStats().some(s => s.peerId === peerId) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 5))
    expect(node.peerStats().map(s => s.peerId)).toContain(peerId)
    socket.destroy()
  })
})
