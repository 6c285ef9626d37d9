import { PROTOCOL_VERSION, ProtocolError } from '@codio-chunk/interface'
import { isPeerId, WIRE_LIMITS } from '@codio-chunk/protocol'
import type { Connection, HelloMessage, WireMessage } from '@codio-chunk/interface'

/** Why a peer's first message is not an acceptable hello: the error to close with, and the goodbye reason. */
export interface HelloRefusal {
  error: ProtocolError
  reason: string
}

/**
 * Checks the first message a peer sent (PROTOCOL.md, section 4). It is accepted if it is a hello
 * of our protocol version whose peer id is a libp2p Ed25519 peer id (`isPeerId`) and, where the
 * transport authenticated the peer, the authenticated one; whose `maxFrameSize` is at least
 * `WIRE_LIMITS.minMaxFrameSize` (64 KiB, the smallest power of two above what every peer must be
 * able to take); and whose `maxRequests` is at least 1. Returns the hello, or why it is refused:
 * every refusal is a protocol error, closed with goodbye code 1 (ProtocolError).
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
  if (!isPeerId(message.peerId)) {
    return refuse(`Peer at ${at} sent the peer id "${shown(message.peerId)}", which is not a libp2p Ed25519 peer id (12D3KooW…)`, 'invalid peer id')
  }
  const authenticated = connection.remotePeerId
  if (authenticated !== undefined && authenticated !== message.peerId) {
    return refuse(`Peer at ${at} claims id ${message.peerId} but authenticated as ${authenticated}`, 'peer id mismatch')
  }
  if (message.maxFrameSize < WIRE_LIMITS.minMaxFrameSize) {
    return refuse(`Peer ${message.peerId} at ${at} announced a maxFrameSize of ${message.maxFrameSize} bytes, less than the ${WIRE_LIMITS.minMaxFrameSize} every peer must accept`, `maxFrameSize below ${WIRE_LIMITS.minMaxFrameSize}`)
  }
  if (message.maxRequests < WIRE_LIMITS.minMaxRequests) {
    return refuse(`Peer ${message.peerId} at ${at} announced a maxRequests of ${message.maxRequests}: it would serve no request`, `maxRequests below ${WIRE_LIMITS.minMaxRequests}`)
  }
  return message
}

function refuse (message: string, reason: string): HelloRefusal {
  return { error: new ProtocolError(message), reason }
}

/** A peer id as it may appear in a message: at most 80 characters. */
function shown (peerId: string): string {
  return peerId.length > 80 ? `${peerId.slice(0, 80)}…` : peerId
}
