import { MessageType, ProtocolError } from '@codio-chunk/interface'

/** Bytes before a response frame's body: `u32` length, type byte, `u32` request id. */
export const RESPONSE_HEAD_SIZE = 9

/** What the head of a response stream announces. */
export interface ResponseHead {
  /** Frame length (type byte and payload). */
  length: number
  /** `data` or `reject`. */
  type: 'data' | 'reject'
  /** The request it answers. */
  id: number
}

/**
 * Assembles the single frame a response stream carries (a `data` or `reject` answering one
 * request). Nothing is allocated for the frame until its head — length, type and request id — has
 * arrived and `accept` has agreed to it, so a peer cannot make this side allocate for requests it
 * never made. Bytes past the frame are a protocol error.
 */
export class ResponseAssembler {
  /** The head, once it has arrived and was accepted. */
  head: ResponseHead | undefined
  private readonly maxFrameSize: number
  private readonly accept: (head: ResponseHead) => boolean
  /** Pieces received before the head was complete. */
  private pending: Uint8Array[] = []
  private pendingBytes = 0
  private frame: Uint8Array | undefined
  private fill = 0
  private refused = false

  constructor (maxFrameSize: number, accept: (head: ResponseHead) => boolean) {
    this.maxFrameSize = maxFrameSize
    this.accept = accept
  }

  /** True when `accept` turned the response down (the stream should be dropped quietly). */
  get isRefused (): boolean {
    return this.refused
  }

  /**
   * Feeds the next piece of the stream. Returns the complete frame (type byte and payload) once
   * it is, otherwise undefined. Throws `ProtocolError` for a malformed head or trailing bytes.
   */
  push (piece: Uint8Array): Uint8Array | undefined {
    if (this.refused || piece.length === 0) return undefined
    if (this.frame === undefined) {
      this.pending.push(piece)
      this.pendingBytes += piece.length
      if (this.pendingBytes < RESPONSE_HEAD_SIZE) return undefined
      const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending)
      this.pending = []
      this.pendingBytes = 0
      const head = this.readHead(all)
      if (!this.accept(head)) {
        this.refused = true
        return undefined
      }
      this.head = head
      this.frame = Buffer.allocUnsafe(head.length)
      piece = all.subarray(4)
    }
    const frame = this.frame
    const room = frame.length - this.fill
    if (piece.length > room) throw new ProtocolError(`The peer sent ${piece.length - room} bytes after the response to request ${this.head?.id ?? '?'} on its stream; a response stream carries one frame. Disconnect it`)
    frame.set(piece, this.fill)
    this.fill += piece.length
    return this.fill === frame.length ? frame : undefined
  }

  /** True once the whole frame has arrived. */
  get complete (): boolean {
    return this.frame !== undefined && this.fill === this.frame.length
  }

  private readHead (bytes: Uint8Array): ResponseHead {
    const length = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0
    const typeByte = bytes[4]
    const type = typeByte === MessageType.data ? 'data' : typeByte === MessageType.reject ? 'reject' : undefined
    if (type === undefined) throw new ProtocolError(`The peer opened a response stream with a frame of type 0x${typeByte.toString(16).padStart(2, '0')}; only data and reject answer requests. Disconnect it`)
    if (length < 5) throw new ProtocolError(`The peer sent a ${type} frame of ${length} bytes, too short for a request id. Disconnect it`)
    if (length > this.maxFrameSize) throw new ProtocolError(`The peer announced a frame of ${length} bytes, more than the limit of ${this.maxFrameSize} bytes. Disconnect it (it ignores the maxFrameSize of the handshake)`)
    const id = ((bytes[5] << 24) | (bytes[6] << 16) | (bytes[7] << 8) | bytes[8]) >>> 0
    return { length, type, id }
  }
}
