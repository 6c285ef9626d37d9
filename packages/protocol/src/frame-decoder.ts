import { InvalidConfigError, ProtocolError } from '@codio-chunk/interface'
import { MIN_POOLED_BYTES, chunkBuffers } from './chunk-buffer-pool.js'
import { EAGER_FRAME_BYTES, FRAME_HEAD_BYTES, type FrameAdmission } from './frame-admission.js'
import type { BufferPool } from '@codio-chunk/interface'

/** Options of a {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Largest frame accepted (type byte + payload), in bytes. */
  maxFrameSize: number
  /** Where frames of {@link MIN_POOLED_BYTES} or more get their buffers (the node's pool). Default: `chunkBuffers`. */
  buffers?: BufferPool
  /**
   * Decides what to do with a frame longer than {@link EAGER_FRAME_BYTES}, from its length and its
   * first {@link FRAME_HEAD_BYTES} bytes, before anything is allocated for it (see
   * `admitLargeFrame`). Default: every frame up to `maxFrameSize` is accepted.
   */
  admit?: (length: number, head: Uint8Array) => FrameAdmission
}

const PREFIX = 4

/**
 * Reassembles length-prefixed frames (`u32` big-endian length, then that many bytes) from
 * arbitrary pieces of a byte stream.
 *
 * - A frame lying entirely inside one pushed piece is handed over as a view of that piece (no copy).
 * - A frame spanning pieces is copied once into a buffer of exactly its size.
 * - A length of 0 or above `maxFrameSize` throws `ProtocolError` before anything is allocated
 *   for the frame. A frame longer than {@link EAGER_FRAME_BYTES} is put to `admit` once its first
 *   bytes are in: it is assembled, skipped (its bytes consumed and dropped, nothing allocated) or
 *   refused with a `ProtocolError`. After an error the decoder is unusable (the stream is out of sync): every
 *   later `push` throws again.
 *
 * `onFrame` receives the type byte and payload (no length prefix). If it throws, the exception
 * propagates out of `push`, the rest of that piece is dropped and the decoder is unusable.
 *
 * @example
 * ```ts
 * import { FrameDecoder, encodeMessage, decodeFrame } from '@codio-chunk/core'
 * const decoder = new FrameDecoder({ maxFrameSize: 1024 })
 * const [bytes] = encodeMessage({ type: 'cancel', id: 9 })
 * decoder.push(bytes.subarray(0, 3), () => {})              // nothing yet
 * decoder.push(bytes.subarray(3), (frame) => {
 *   decodeFrame(frame)                                      // { type: 'cancel', id: 9 }
 * })
 * ```
 */
export class FrameDecoder {
  private readonly maxFrameSize: number
  /** Bytes of a length prefix split across pieces. */
  private readonly prefix = new Uint8Array(PREFIX)
  private prefixFill = 0
  /** The frame being assembled across pieces, if any. */
  private frame: Uint8Array | undefined
  private frameFill = 0
  private failed: ProtocolError | undefined
  private readonly buffers: BufferPool
  private readonly admit?: (length: number, head: Uint8Array) => FrameAdmission
  /** The length of a long frame whose head is being gathered before it is admitted (0: none). */
  private heldLength = 0
  private readonly head = new Uint8Array(FRAME_HEAD_BYTES)
  private headFill = 0
  /** Bytes of a skipped frame still to consume. */
  private skipping = 0

  constructor (options: FrameDecoderOptions) {
    this.maxFrameSize = checkMaxFrameSize(options?.maxFrameSize)
    this.buffers = options.buffers ?? chunkBuffers
    this.admit = options.admit
  }

  /** Bytes of the stream consumed but not yet delivered, because their frame is incomplete (length prefix included). */
  get bufferedBytes (): number {
    if (this.frame !== undefined) return PREFIX + this.frameFill
    if (this.heldLength > 0) return PREFIX + this.headFill
    return this.prefixFill
  }

  /** True while a frame has begun and not ended (its length, head or body is partly in). */
  get midFrame (): boolean {
    return this.frame !== undefined || this.heldLength > 0 || this.skipping > 0 || this.prefixFill > 0
  }

  /**
   * Where the next bytes of the stream can be read directly, with no copy: the unfilled rest of the
   * frame being assembled, if at least `minimum` bytes of it remain; otherwise undefined (read into
   * any buffer and {@link push} it). After reading `n` bytes into the target, call {@link commit}.
   */
  readTarget (minimum = 16 * 1024): Uint8Array | undefined {
    const frame = this.frame
    if (frame === undefined || this.failed !== undefined) return undefined
    return frame.length - this.frameFill >= minimum ? frame.subarray(this.frameFill) : undefined
  }

  /** Records `n` bytes read straight into the buffer {@link readTarget} returned. */
  commit (n: number, onFrame: (frame: Uint8Array) => void): void {
    const frame = this.frame
    if (frame === undefined || n < 0 || this.frameFill + n > frame.length) throw new RangeError('commit() does not match the last readTarget()')
    this.frameFill += n
    if (this.frameFill === frame.length) {
      this.frame = undefined
      this.frameFill = 0
      this.deliver(frame, onFrame)
    }
  }

  /**
   * Feeds the next piece of the stream; calls `onFrame` for each frame it completes, in order.
   * With `transient`, the piece's memory will be reused after this call, so frames are never handed
   * over as views of it.
   */
  push (chunk: Uint8Array, onFrame: (frame: Uint8Array) => void, transient = false): void {
    if (this.failed !== undefined) throw new ProtocolError(`The frame decoder already failed: ${this.failed.message}`, { cause: this.failed })
    const end = chunk.length
    let p = 0
    while (p < end) {
      if (this.skipping > 0) {
        const take = Math.min(this.skipping, end - p)
        this.skipping -= take
        p += take
        continue
      }
      if (this.heldLength > 0) {
        // Gather the head of a long frame, then decide on it.
        while (this.headFill < FRAME_HEAD_BYTES && p < end) this.head[this.headFill++] = chunk[p++]
        if (this.headFill < FRAME_HEAD_BYTES) return
        const length = this.heldLength
        this.heldLength = 0
        this.headFill = 0
        if (this.decide(length, this.head) === 'skip') {
          this.skipping = length - FRAME_HEAD_BYTES
          continue
        }
        const buffer = allocate(length, this.buffers)
        buffer.set(this.head, 0)
        this.frame = buffer
        this.frameFill = FRAME_HEAD_BYTES
        continue
      }
      const frame = this.frame
      if (frame !== undefined) {
        // Continue a frame that spans pieces.
        const take = Math.min(frame.length - this.frameFill, end - p)
        frame.set(take === end - p && p === 0 ? chunk : chunk.subarray(p, p + take), this.frameFill)
        this.frameFill += take
        p += take
        if (this.frameFill === frame.length) {
          this.frame = undefined
          this.frameFill = 0
          this.deliver(frame, onFrame)
        }
        continue
      }
      let length: number
      if (this.prefixFill === 0 && end - p >= PREFIX) {
        length = readU32(chunk, p)
        p += PREFIX
      } else {
        // A length prefix split across pieces: gather its (at most four) bytes.
        while (this.prefixFill < PREFIX && p < end) this.prefix[this.prefixFill++] = chunk[p++]
        if (this.prefixFill < PREFIX) return
        this.prefixFill = 0
        length = readU32(this.prefix, 0)
      }
      this.checkLength(length)
      if (length > EAGER_FRAME_BYTES && this.admit !== undefined) {
        if (end - p < FRAME_HEAD_BYTES) {
          // Not enough of it yet to tell what it is: hold its head, allocate nothing.
          this.heldLength = length
          continue
        }
        if (this.decide(length, chunk.subarray(p, p + FRAME_HEAD_BYTES)) === 'skip') {
          const take = Math.min(length, end - p)
          this.skipping = length - take
          p += take
          continue
        }
      }
      if (end - p >= length) {
        const view = chunk.subarray(p, p + length)
        p += length
        this.deliver(transient ? copyOf(view, this.buffers) : view, onFrame)
      } else {
        const buffer = allocate(length, this.buffers)
        buffer.set(chunk.subarray(p), 0)
        this.frame = buffer
        this.frameFill = end - p
        p = end
      }
    }
  }

  /** Puts a long frame to `admit`: 'accept' or 'skip', or throws the refusal as a ProtocolError. */
  private decide (length: number, head: Uint8Array): 'accept' | 'skip' {
    const admission = (this.admit as (length: number, head: Uint8Array) => FrameAdmission)(length, head)
    if (admission === 'accept' || admission === 'skip') return admission
    this.failed = new ProtocolError(admission.refuse)
    throw this.failed
  }

  private checkLength (length: number): void {
    if (length === 0) {
      this.failed = new ProtocolError('The peer sent a frame of length 0; every frame has at least a type byte. Disconnect it')
      throw this.failed
    }
    if (length > this.maxFrameSize) {
      this.failed = new ProtocolError(`The peer announced a frame of ${length} bytes, more than the limit of ${this.maxFrameSize} bytes. Disconnect it (it ignores the maxFrameSize of the handshake)`)
      throw this.failed
    }
  }

  private deliver (frame: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    try {
      onFrame(frame)
    } catch (err) {
      this.failed = new ProtocolError('A frame handler threw; the decoder stopped', { cause: err })
      throw err
    }
  }
}

/**
 * Returns a valid frame-size limit (an integer from 1 to 2^32 - 1), or throws InvalidConfigError.
 *
 * @example
 * ```ts
 * import { checkMaxFrameSize } from '@codio-chunk/core'
 * checkMaxFrameSize(4 * 1024 * 1024) // 4194304
 * ```
 */
export function checkMaxFrameSize (value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new InvalidConfigError(`maxFrameSize must be an integer in 1..4294967295, got ${String(value)}`)
  }
  return value
}

function readU32 (bytes: Uint8Array, p: number): number {
  return ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0
}

const NodeBuffer = (globalThis as { Buffer?: { allocUnsafe: (size: number) => Uint8Array } }).Buffer

/** A copy in new memory (`Buffer#slice` would return a view, so copy explicitly). */
function copyOf (view: Uint8Array, buffers: BufferPool): Uint8Array {
  const copy = allocate(view.length, buffers)
  copy.set(view)
  return copy
}

/** A frame's buffer: large frames (chunks) from the node's pool the engine gives them back to. */
function allocate (size: number, buffers: BufferPool): Uint8Array {
  if (size >= MIN_POOLED_BYTES) return buffers.acquire(size)
  return NodeBuffer !== undefined ? NodeBuffer.allocUnsafe(size) : new Uint8Array(size)
}
