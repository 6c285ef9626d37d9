import type { AnnounceEvent, AnnounceRequest } from './announce.js'

/** BEP 15 actions. */
export const ACTION_CONNECT = 0
export const ACTION_ANNOUNCE = 1
export const ACTION_ERROR = 3

/** The magic connection id of a connect request (0x41727101980). */
const PROTOCOL_ID_HIGH = 0x417
const PROTOCOL_ID_LOW = 0x27101980
const CONNECT_REQUEST_BYTES = 16
const ANNOUNCE_REQUEST_BYTES = 98
/** Bytes before the peer list of an announce answer: action, transaction id, interval, leechers, seeders. */
export const ANNOUNCE_HEADER_BYTES = 20
const EVENT_CODES: Record<AnnounceEvent, number> = { completed: 1, started: 2, stopped: 3 }

/** A connect request (16 bytes). */
export function connectPacket (transactionId: number): Uint8Array {
  const packet = new Uint8Array(CONNECT_REQUEST_BYTES)
  const view = new DataView(packet.buffer)
  view.setUint32(0, PROTOCOL_ID_HIGH)
  view.setUint32(4, PROTOCOL_ID_LOW)
  view.setUint32(8, ACTION_CONNECT)
  view.setUint32(12, transactionId)
  return packet
}

/** An announce request (98 bytes). */
export function announcePacket (connectionId: Uint8Array, transactionId: number, request: AnnounceRequest): Uint8Array {
  const packet = new Uint8Array(ANNOUNCE_REQUEST_BYTES)
  const view = new DataView(packet.buffer)
  packet.set(connectionId, 0)
  view.setUint32(8, ACTION_ANNOUNCE)
  view.setUint32(12, transactionId)
  packet.set(request.infoHash, 16)
  packet.set(request.peerId, 36)
  // downloaded (56) stays 0
  view.setBigUint64(64, BigInt(request.left))
  // uploaded (72) stays 0
  view.setUint32(80, request.event === undefined ? 0 : EVENT_CODES[request.event])
  // IP address (84) stays 0: the tracker uses the packet's source
  view.setUint32(88, request.key)
  view.setInt32(92, request.numWant)
  view.setUint16(96, request.port)
  return packet
}

/** A packet from a tracker, read as far as its action and transaction id. */
export type UdpReply =
  | { action: 'connect', transactionId: number, connectionId: Uint8Array }
  | { action: 'announce', transactionId: number, interval: number, peers: Uint8Array }
  | { action: 'error', transactionId: number, message: Uint8Array }

/**
 * Reads a tracker's packet, or returns why it cannot be used (too short for its action, an unknown
 * action). Nothing is copied but the 8-byte connection id.
 */
export function readUdpReply (packet: Uint8Array): UdpReply | string {
  if (packet.length < 8) return `a ${packet.length}-byte packet, shorter than any answer`
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength)
  const action = view.getUint32(0)
  const transactionId = view.getUint32(4)
  if (action === ACTION_CONNECT) {
    if (packet.length < 16) return `a truncated connect answer (${packet.length} bytes)`
    return { action: 'connect', transactionId, connectionId: packet.slice(8, 16) }
  }
  if (action === ACTION_ANNOUNCE) {
    if (packet.length < ANNOUNCE_HEADER_BYTES) return `a truncated announce answer (${packet.length} bytes)`
    return { action: 'announce', transactionId, interval: view.getUint32(8), peers: packet.subarray(ANNOUNCE_HEADER_BYTES) }
  }
  if (action === ACTION_ERROR) return { action: 'error', transactionId, message: packet.subarray(8) }
  return `a packet with unknown action ${action}`
}
