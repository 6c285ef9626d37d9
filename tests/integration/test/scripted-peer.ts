import { afterEach } from 'vitest'
import { Bitfield, PeerIdentity, PROTOCOL_VERSION, DEFAULT_MAX_FRAME_SIZE, createComponents, type ChunkDistributor, type Connection, type Listener, type RequestChunkMessage, type WireMessage } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { stopAll } from './swarm-helpers.js'

/**
 * A peer driven by a test script instead of the engine: it speaks real wire messages over TCP and
 * answers every message with whatever `respond` returns. Used to act out hostile or broken peers.
 */
export interface ScriptedPeer {
  readonly address: string
  readonly peerId: string
  /** Messages received, in order. */
  readonly received: WireMessage[]
  close(): Promise<void>
}

export async function scriptedPeer (respond: (message: WireMessage, send: (m: WireMessage) => void) => void): Promise<ScriptedPeer> {
  const identity = PeerIdentity.generate()
  const received: WireMessage[] = []
  const connections: Connection[] = []
  const listener: Listener = await tcpTransport()(createComponents({ identity })).listen('tcp://127.0.0.1:0', {
    onConnection: (conn) => {
      connections.push(conn)
      const send = (m: WireMessage): void => { if (!conn.closed) conn.send(m) }
      conn.start({
        onMessage: (message) => {
          received.push(message)
          respond(message, send)
        },
        onClose: () => {}
      })
      send({ type: 'hello', version: PROTOCOL_VERSION, peerId: identity.peerId, maxFrameSize: DEFAULT_MAX_FRAME_SIZE, maxRequests: 64, addresses: [], agent: 'scripted-peer' })
    }
  })
  return {
    address: listener.addresses[0],
    peerId: identity.peerId,
    received,
    async close () {
      for (const conn of connections) conn.close()
      await listener.close()
    }
  }
}

/** A {@link ScriptedPeer} that also speaks on its own: `send` writes to its latest connection. */
export type TalkingPeer = ScriptedPeer & { send: (m: WireMessage) => void }

/**
 * A scripted peer holding the chunks `bits` marks (of `chunkCount`): it answers the downloader's
 * bitfield with its own and an unchoke, and nothing else by itself; the test answers requests
 * through `send`.
 *
 * @example
 * ```ts
 * const seed = await scriptedHolder(8, (b) => { for (let i = 0; i < 8; i++) b.set(i) })
 * seed.send({ type: 'have', content, index: 3 })
 * ```
 */
export async function scriptedHolder (chunkCount: number, bits: (bitfield: Bitfield) => void): Promise<TalkingPeer> {
  let reply: ((m: WireMessage) => void) | undefined
  const peer = await scriptedPeer((message, send) => {
    reply = send
    if (message.type !== 'bitfield') return
    const bitfield = new Bitfield(chunkCount)
    bits(bitfield)
    send({ type: 'bitfield', content: message.content, chunkCount, bits: bitfield.toBytes() })
    send({ type: 'unchoke' })
  })
  return Object.assign(peer, { send: (m: WireMessage) => { reply?.(m) } })
}

/** The chunk requests a scripted peer received, in order. */
export function chunkRequests (peer: ScriptedPeer): RequestChunkMessage[] {
  return peer.received.filter((m): m is RequestChunkMessage => m.type === 'request-chunk')
}

/** What a test with scripted peers opened: closed after each test. */
export interface ScriptedTestResources {
  readonly nodes: ChunkDistributor[]
  readonly scripted: ScriptedPeer[]
  readonly downloads: AbortController[]
}

/**
 * Lists to put a test's nodes, scripted peers and download controllers in; an `afterEach` of the
 * calling file aborts the downloads, stops the nodes and closes the scripted peers.
 *
 * @example
 * ```ts
 * const open = scriptedTestResources()
 * open.scripted.push(await scriptedHolder(8, () => {}))
 * ```
 */
export function scriptedTestResources (): ScriptedTestResources {
  const open: ScriptedTestResources = { nodes: [], scripted: [], downloads: [] }
  afterEach(async () => {
    for (const d of open.downloads.splice(0)) d.abort()
    await stopAll(open.nodes)
    await Promise.allSettled(open.scripted.splice(0).map(async p => { await p.close() }))
  })
  return open
}
