// One connection's byte stream, valid frames and garbage alike, cut at random points into the
// pieces a socket delivers and fed to one FrameDecoder: frames come out whole and in order, exactly
// as the stream holds them, or the decoder throws ProtocolError where the stream first announces a
// length of 0 or above maxFrameSize, and keeps throwing. No frame, and no buffer taken for one, is
// larger than maxFrameSize; frames of pieces pushed as transient are never views of them.
import { describe, it } from 'vitest'
import { FrameDecoder, encodeMessage } from '@codio-chunk/protocol'
import type { BufferPool } from '@codio-chunk/interface'
import { fc, fuzz } from '../src/fuzz.js'
import { concat, messageArbitrary, sameBytes } from '../src/wire-arbitraries.js'

function u32 (value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff)
}

/** A length-prefixed frame around `body`. */
function framed (body: Uint8Array): Uint8Array {
  return concat([u32(body.length), body])
}

// Huge lengths are rare: a decoder allocates a frame's buffer (up to maxFrameSize) once its length
// is read, which is what the limit is for, and allocating gigabytes makes inputs slow.
const anyLength = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 0, max: 600 }) },
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 70 * 1024 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) }
)

const segment = fc.oneof(
  { weight: 20, arbitrary: messageArbitrary.map(m => concat(encodeMessage(m))) },
  { weight: 40, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 120 }).map(framed) },
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 24 }) },
  // Any length prefix (0, small, large, up to 2^32 - 1), then a few bytes.
  { weight: 10, arbitrary: fc.tuple(anyLength, fc.uint8Array({ maxLength: 8 })).map(([length, rest]) => concat([u32(length), rest])) },
  // Frames large enough to come from the buffer pool.
  { weight: 1, arbitrary: fc.integer({ min: 64 * 1024 - 8, max: 66 * 1024 }).map(n => framed(new Uint8Array(n).fill(n & 0xff))) }
)

/** How one piece is fed: pushed (transient or not), or first read straight into the decoder's readTarget. */
const feed = fc.record({ transient: fc.boolean(), direct: fc.boolean(), minimum: fc.integer({ min: 1, max: 64 }) })

const input = fc.record({
  segments: fc.array(segment, { maxLength: 8 }),
  maxFrameSize: fc.oneof(
    { weight: 10, arbitrary: fc.integer({ min: 1, max: 400 }) },
    { weight: 10, arbitrary: fc.integer({ min: 1, max: 70 * 1024 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffffffff }) }
  ),
  cuts: fc.array(fc.nat(), { maxLength: 16 }),
  feeds: fc.array(feed, { minLength: 1, maxLength: 6 })
})

/** What the stream holds: its whole frames in order, and whether a bad length comes before the stream ends. */
function model (stream: Uint8Array, maxFrameSize: number): { frames: Uint8Array[], fails: boolean } {
  const frames: Uint8Array[] = []
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength)
  let p = 0
  while (p + 4 <= stream.length) {
    const length = view.getUint32(p)
    if (length === 0 || length > maxFrameSize) return { frames, fails: true }
    if (p + 4 + length > stream.length) break
    frames.push(stream.subarray(p + 4, p + 4 + length))
    p += 4 + length
  }
  return { frames, fails: false }
}

describe('frame decoder', () => {
  it('frame-stream: frames whole and in order, or ProtocolError, never more than maxFrameSize', async () => {
    await fuzz('frame-stream', input, ({ segments, maxFrameSize, cuts, feeds }) => {
      const stream = concat(segments)
      const expected = model(stream, maxFrameSize)
      const pool: BufferPool = {
        acquire (size) {
          if (size > maxFrameSize) throw new Error(`a buffer of ${size} bytes was taken for a frame, above maxFrameSize ${maxFrameSize}`)
          return new Uint8Array(size)
        },
        release () {}
      }
      const decoder = new FrameDecoder({ maxFrameSize, buffers: pool })
      const delivered: Uint8Array[] = []
      const onFrame = (frame: Uint8Array): void => {
        if (frame.length < 1 || frame.length > maxFrameSize) throw new Error(`a frame of ${frame.length} bytes came out, maxFrameSize is ${maxFrameSize}`)
        delivered.push(frame)
      }
      const points = [...new Set(cuts.map(c => c % (stream.length + 1)))].sort((a, b) => a - b)
      const bounds = [0, ...points, stream.length]
      let failure: unknown
      for (let i = 0; i + 1 < bounds.length && failure === undefined; i++) {
        const how = feeds[i % feeds.length]
        // A transient piece is the socket's read buffer: scribbled over once push returns.
        const read = how.transient ? stream.slice(bounds[i], bounds[i + 1]) : stream.subarray(bounds[i], bounds[i + 1])
        let piece = read
        try {
          const target = how.direct ? decoder.readTarget(how.minimum) : undefined
          if (target !== undefined) {
            const n = Math.min(target.length, piece.length)
            target.set(piece.subarray(0, n))
            decoder.commit(n, onFrame)
            piece = piece.subarray(n)
          }
          if (piece.length > 0) decoder.push(piece, onFrame, how.transient)
        } catch (err) {
          failure = err
        }
        if (how.transient) read.fill(0xee)
      }
      if (failure !== undefined) {
        if ((failure as Error)?.name !== 'ProtocolError') throw failure
        if (!expected.fails) throw new Error(`the decoder failed on a stream without a bad length: ${(failure as Error).message}`)
        let again: unknown
        try { decoder.push(Uint8Array.of(0, 0, 0, 1, 0x14), onFrame) } catch (err) { again = err }
        if ((again as Error)?.name !== 'ProtocolError') throw new Error('a failed decoder accepted more bytes')
      } else if (expected.fails) {
        throw new Error('the decoder let a length of 0 or above maxFrameSize through')
      }
      if (delivered.length !== expected.frames.length) throw new Error(`${delivered.length} frames came out, the stream holds ${expected.frames.length}`)
      for (let i = 0; i < delivered.length; i++) {
        if (!sameBytes(delivered[i], expected.frames[i])) throw new Error(`frame ${i} differs from the stream's`)
      }
    })
  })
})
