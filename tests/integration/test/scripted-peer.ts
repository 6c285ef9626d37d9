import { PeerIdentity, PROTOCOL_VERSION, DEFAULT_MAX_FRAME_SIZE, type Connection, type Listener, type WireMessage } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'

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
  const listener: Listener = await tcpTransport().listen('tcp://127.0.0.1:0', {
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
