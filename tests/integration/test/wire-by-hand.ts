// A peer written from PROTOCOL.md alone: frames are laid out byte by byte here, without the
// project's codec, so a test built on it checks the document as much as the engine.
import { createServer, type Server, type Socket } from 'node:net'

/** Message type bytes (PROTOCOL.md section 2). */
export const TYPE = {
  hello: 0x01,
  goodbye: 0x02,
  bitfield: 0x10,
  have: 0x11,
  interested: 0x12,
  notInterested: 0x13,
  choke: 0x14,
  unchoke: 0x15,
  peers: 0x16,
  requestChunk: 0x20,
  requestBlock: 0x21,
  data: 0x22,
  reject: 0x23,
  cancel: 0x24
} as const

/** The largest frame this peer accepts, as the document's default. */
const MAX_FRAME = 4 * 1024 * 1024 + 4096

function u16 (n: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b }
function u32 (n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }
function str (s: string): Buffer { const bytes = Buffer.from(s, 'utf8'); return Buffer.concat([u16(bytes.length), bytes]) }

/** `length` (u32) + `type` (u8) + payload. */
export function frame (type: number, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload)
  return Buffer.concat([u32(body.length + 1), Buffer.from([type]), body])
}

/** A version-1 hello with no listen addresses. */
export function hello (peerId: string, agent: string): Buffer {
  return frame(TYPE.hello, Buffer.from('CDCK', 'ascii'), Buffer.from([1]), str(peerId), u32(MAX_FRAME), u16(64), Buffer.from([0]), str(agent))
}

/** A bitfield for the content whose binary CID is `cid` (without its length byte), every chunk set. */
export function fullBitfield (cid: Buffer, chunkCount: number): Buffer {
  const bits = Buffer.alloc(Math.ceil(chunkCount / 8))
  for (let i = 0; i < chunkCount; i++) bits[i >> 3] |= 0x80 >> (i & 7)
  return frame(TYPE.bitfield, Buffer.from([cid.length]), cid, u32(chunkCount), bits)
}

export function data (id: number, bytes: Buffer): Buffer { return frame(TYPE.data, u32(id), bytes) }

export function reject (id: number, code: number, reason: string): Buffer { return frame(TYPE.reject, u32(id), Buffer.from([code]), str(reason)) }

/** One received frame: its type byte and payload. */
export interface RawFrame { type: number, payload: Buffer }

/** The fields of a request-chunk or request-block payload this peer needs. */
export interface RawRequest { id: number, cid: Buffer, index?: number }

/** Reads `cid` (u8 length + bytes) at `offset`. */
export function readCid (payload: Buffer, offset: number): { cid: Buffer, end: number } {
  const length = payload[offset]
  return { cid: payload.subarray(offset + 1, offset + 1 + length), end: offset + 1 + length }
}

export function parseRequestChunk (payload: Buffer): RawRequest {
  const { cid, end } = readCid(payload, 4)
  return { id: payload.readUInt32BE(0), cid, index: payload.readUInt32BE(end) }
}

export function parseRequestBlock (payload: Buffer): RawRequest {
  return { id: payload.readUInt32BE(0), cid: readCid(payload, 4).cid }
}

/** Splits a byte stream into frames; a frame longer than {@link MAX_FRAME} ends the stream. */
function frameReader (onFrame: (f: RawFrame) => void, onBad: () => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0)
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk])
    while (buffered.length >= 4) {
      const length = buffered.readUInt32BE(0)
      if (length === 0 || length > MAX_FRAME) { onBad(); return }
      if (buffered.length < 4 + length) return
      onFrame({ type: buffered[4], payload: Buffer.from(buffered.subarray(5, 4 + length)) })
      buffered = buffered.subarray(4 + length)
    }
  }
}

/** A listening peer whose every connection is driven by `behave`. */
export interface HandWrittenPeer {
  readonly address: string
  readonly sockets: Set<Socket>
  close(): Promise<void>
}

/**
 * Listens on loopback; for each connection sends `greeting` and hands every frame to `onFrame`
 * with a function that writes raw bytes back.
 */
export async function handWrittenPeer (greeting: Buffer, onFrame: (f: RawFrame, write: (bytes: Buffer) => void) => void): Promise<HandWrittenPeer> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    const write = (bytes: Buffer): void => { if (!socket.destroyed) socket.write(bytes) }
    socket.on('data', frameReader((f) => { onFrame(f, write) }, () => socket.destroy()))
    write(greeting)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    address: `tcp://127.0.0.1:${port}`,
    sockets,
    async close () {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
