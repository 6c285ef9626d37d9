import { PROTOCOL_VERSION, ProtocolError } from '@codio-chunk/interface'
import type { Connection, HelloMessage, WireMessage } from '@codio-chunk/interface'

/** Why a peer's first message is not an acceptable hello: the error to close with, and the goodbye reason. */
export interface HelloRefusal {
  error: ProtocolError
  reason: string
}

/**
 * Checks the first message a peer sent: a hello of our protocol version whose peer id is
 * plausible and, where the transport authenticated the peer, is the authenticated one. Returns
 * the hello, or why it is refused.
 *
 * @example
 * ```ts
 * const checked = checkHello(message, connection)
 * if ('error' in checked) session.close(checked.error, { code: GoodbyeCode.ProtocolError, reason: checked.reason })
 * ```
 */
export function checkHello (message: WireMessage, connection: Connection): HelloMessage | HelloRefusal {
  const at = connection.remoteAddress
  if (message.type !== 'hello') return refuse(`Peer at ${at} sent ${message.type} before hello`, 'expected hello')
  if (message.version !== PROTOCOL_VERSION) {
    return refuse(`Peer at ${at} speaks protocol version ${message.version}; this node speaks ${PROTOCOL_VERSION}`, `unsupported version ${message.version}`)
  }
  const authenticated = connection.remotePeerId
  if (authenticated !== undefined && authenticated !== message.peerId) {
    return refuse(`Peer at ${at} claims id ${message.peerId} but authenticated as ${authenticated}`, 'peer id mismatch')
  }
  if (message.peerId.length === 0 || message.peerId.length > 256) return refuse(`Peer at ${at} sent an invalid peer id`, 'invalid peer id')
  return message
}

function refuse (message: string, reason: string): HelloRefusal {
  return { error: new ProtocolError(message), reason }
}
