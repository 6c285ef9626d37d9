import dgram from 'node:dgram'
import { within } from './helpers.js'
import type { AddressInfo } from 'node:net'

/** A request as a hand-written UDP tracker reads it (BEP 15). */
export interface UdpRequest {
  readonly action: number
  readonly transactionId: number
  readonly connectionId: Buffer
  /** The whole packet. */
  readonly packet: Buffer
}

/** A hand-written UDP "tracker" on 127.0.0.1, port 0; `handler` answers with `reply(bytes)`, or not. */
export async function startUdpTracker (handler: (request: UdpRequest, reply: (bytes: Uint8Array) => void) => void): Promise<{
  announce: string
  requests: UdpRequest[]
  close: () => Promise<void>
}> {
  const socket = dgram.createSocket('udp4')
  const requests: UdpRequest[] = []
  socket.on('message', (packet, from) => {
    if (packet.length < 16) return
    const request = { connectionId: packet.subarray(0, 8), action: packet.readUInt32BE(8), transactionId: packet.readUInt32BE(12), packet }
    requests.push(request)
    handler(request, (bytes) => socket.send(bytes, from.port, from.address))
  })
  await within(new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve)), 'the udp tracker to bind')
  return {
    announce: `udp://127.0.0.1:${(socket.address() as AddressInfo).port}`,
    requests,
    close: async () => { await within(new Promise<void>((resolve) => socket.close(() => resolve())), 'the udp tracker to close') }
  }
}

/** A connect answer. */
export function connectAnswer (transactionId: number, connectionId = Buffer.from('c0ffee00c0ffee00', 'hex')): Buffer {
  const out = Buffer.alloc(16)
  out.writeUInt32BE(0, 0)
  out.writeUInt32BE(transactionId, 4)
  connectionId.copy(out, 8)
  return out
}

/** An announce answer with compact IPv4 `peers`. */
export function announceAnswer (transactionId: number, peers: Buffer, interval = 600): Buffer {
  const head = Buffer.alloc(20)
  head.writeUInt32BE(1, 0)
  head.writeUInt32BE(transactionId, 4)
  head.writeUInt32BE(interval, 8)
  return Buffer.concat([head, peers])
}

/** An error answer. */
export function errorAnswer (transactionId: number, message: string): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(3, 0)
  head.writeUInt32BE(transactionId, 4)
  return Buffer.concat([head, Buffer.from(message)])
}

/** A tracker that answers correctly, listing `peers` (compact) to every announce. */
export function honest (peers: Buffer): (request: UdpRequest, reply: (bytes: Uint8Array) => void) => void {
  return (request, reply) => {
    if (request.action === 0) reply(connectAnswer(request.transactionId))
    else if (request.action === 1) reply(announceAnswer(request.transactionId, peers))
  }
}
