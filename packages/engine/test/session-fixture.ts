// A real PeerSession over a connection that only records what is sent: enough for units that
// keep per-peer state (the upload manager, the uploader) to be tested without a transport.
import { DEFAULT_MAX_FRAME_SIZE, PROTOCOL_VERSION } from '@codio-chunk/interface'
import { PeerIdentity } from '@codio-chunk/protocol'
import { PeerSession } from '../src/peers/peer-session.js'
import type { Connection, ConnectionHandler, WireMessage } from '@codio-chunk/interface'

/** A session whose handshake completed with a peer named `label`, and the types of the messages it sent since. */
export interface SessionFixture {
  session: PeerSession
  /** Types of the messages sent after the handshake, in order. */
  sent: string[]
  /** Every message sent after the handshake. */
  messages: WireMessage[]
  /** Delivers a message from the peer. */
  receive(message: WireMessage): void
}

export async function openSession (label: string, clock: () => number): Promise<SessionFixture> {
  const messages: WireMessage[] = []
  const sent: string[] = []
  let handler: ConnectionHandler | undefined
  let closed = false
  let handshakeDone = false
  const connection: Connection = {
    remoteAddress: `tcp://10.0.0.1:${4000 + label.charCodeAt(0)}`,
    localAddress: 'tcp://10.0.0.2:4001',
    direction: 'inbound',
    bufferedBytes: 0,
    get closed () { return closed },
    start (h) { handler = h },
    send (message) {
      if (closed) throw new Error('closed')
      if (!handshakeDone) return
      messages.push(message)
      sent.push(message.type)
    },
    async drain () {},
    close (error) {
      if (closed) return
      closed = true
      handler?.onClose(error)
    }
  }
  const peerId = PeerIdentity.generate().peerId
  const session = new PeerSession({
    connection,
    hello: { type: 'hello', version: PROTOCOL_VERSION, peerId: 'local', maxFrameSize: DEFAULT_MAX_FRAME_SIZE, maxRequests: 64, addresses: [], agent: 'test' },
    helloTimeout: 60_000,
    clock,
    events: { helloReceived: (s) => s, message: () => {}, closed: () => {} }
  })
  const started = session.start()
  handler?.onMessage({ type: 'hello', version: PROTOCOL_VERSION, peerId, maxFrameSize: DEFAULT_MAX_FRAME_SIZE, maxRequests: 64, addresses: [], agent: label })
  await started
  handshakeDone = true
  return { session, sent, messages, receive: (message) => { handler?.onMessage(message) } }
}
