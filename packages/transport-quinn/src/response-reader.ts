import { MessageType, ProtocolError } from '@codio-chunk/interface'
import type { NativeStream } from './native.js'

/** Bytes of a response frame's head: `u32` length, type byte, `u32` request id. */
export const RESPONSE_HEAD_SIZE = 9
/** The first read of a response stream: enough for the head and a good part of a chunk. */
const FIRST_READ = 64 * 1024
/** Largest later read (the binding allocates what is asked for on every read). */
const MAX_READ = 256 * 1024

/** What the head of a response stream announces. */
export interface ResponseHead {
  /** Frame length (type byte and payload). */
  length: number
  type: 'data' | 'reject'
  /** The request it answers. */
  id: number
}

/** What reading a response stream gave. */
export type ResponseResult =
  | { kind: 'frame', head: ResponseHead, frame: Uint8Array }
  | { kind: 'refused', head: ResponseHead }

/**
 * Reads the one frame a response stream carries after its kind byte (a `data` or `reject`
 * answering one request). Nothing is allocated for the frame until its head has arrived and
 * `accept` agreed to it, so a peer cannot make this side allocate for requests it never made. A
 * frame that arrives in one read is returned as a view of it (no copy); otherwise it is copied
 * once into a buffer of its size. Throws `ProtocolError` for a malformed head, a frame above
 * `maxFrameSize`, bytes after the frame, or a stream that ends early.
 *
 * `onHead` is called with the accepted head before the body is read (so a cancel can stop the
 * stream); `remoteAddress` only words errors.
 */
export async function readResponse (
  stream: NativeStream,
  prefix: Uint8Array,
  options: { maxFrameSize: number, remoteAddress: string, accept: (head: ResponseHead) => boolean, onHead: (head: ResponseHead) => void }
): Promise<ResponseResult> {
  let pending = prefix
  while (pending.length < RESPONSE_HEAD_SIZE) {
    const piece = await stream.read(FIRST_READ)
    if (piece === null) throw new ProtocolError(`The peer at ${options.remoteAddress} ended a response stream before the head of its frame. Disconnect it`)
    pending = pending.length === 0 ? piece : Buffer.concat([pending, piece])
  }
  const head = readHead(pending, options.maxFrameSize)
  if (!options.accept(head)) return { kind: 'refused', head }
  options.onHead(head)
  const total = 4 + head.length
  let frame: Uint8Array
  let fill: number
  if (pending.length >= total) {
    if (pending.length > total) throw trailing(head, options.remoteAddress)
    frame = pending.subarray(4, total)
    fill = frame.length
  } else {
    frame = Buffer.allocUnsafe(head.length)
    frame.set(pending.subarray(4), 0)
    fill = pending.length - 4
  }
  while (fill < frame.length) {
    const piece = await stream.read(Math.min(frame.length - fill, MAX_READ))
    if (piece === null) throw new ProtocolError(`The peer at ${options.remoteAddress} ended a response stream before its frame was complete. Disconnect it`)
    if (piece.length > frame.length - fill) throw trailing(head, options.remoteAddress)
    frame.set(piece, fill)
    fill += piece.length
  }
  return { kind: 'frame', head, frame }
}

/**
 * After a response frame: resolves once the stream ends; throws `ProtocolError` if the peer sent
 * anything more. Run it after delivering the frame, so the check costs no latency.
 */
export async function expectEnd (stream: NativeStream, head: ResponseHead, remoteAddress: string): Promise<void> {
  const after = await stream.read(1)
  if (after !== null && after.length > 0) throw trailing(head, remoteAddress)
}

function readHead (bytes: Uint8Array, maxFrameSize: number): ResponseHead {
  const length = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0
  const typeByte = bytes[4]
  const type = typeByte === MessageType.data ? 'data' : typeByte === MessageType.reject ? 'reject' : undefined
  if (type === undefined) throw new ProtocolError(`The peer opened a response stream with a frame of type 0x${typeByte.toString(16).padStart(2, '0')}; only data and reject answer requests. Disconnect it`)
  if (length < 5) throw new ProtocolError(`The peer sent a ${type} frame of ${length} bytes, too short for a request id. Disconnect it`)
  if (length > maxFrameSize) throw new ProtocolError(`The peer announced a frame of ${length} bytes, more than the limit of ${maxFrameSize} bytes. Disconnect it (it ignores the maxFrameSize of the handshake)`)
  const id = ((bytes[5] << 24) | (bytes[6] << 16) | (bytes[7] << 8) | bytes[8]) >>> 0
  return { length, type, id }
}

function trailing (head: ResponseHead, remoteAddress: string): ProtocolError {
  return new ProtocolError(`The peer at ${remoteAddress} sent bytes after the response to request ${head.id} on its stream; a response stream carries one frame. Disconnect it`)
}
