import { describe, expect, it } from 'vitest'
import { FrameDecoder } from '../src/frame-decoder.js'
import { decodeFrame, encodeMessage } from '../src/codec.js'
import { InvalidConfigError, ProtocolError } from '@codio-chunk/interface'
import { concat, sampleMessages } from './wire-fixtures.js'
import type { WireMessage } from '@codio-chunk/interface'

const MAX = 64 * 1024

function collect (decoder: FrameDecoder, pieces: Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = []
  for (const piece of pieces) decoder.push(piece, (frame) => frames.push(new Uint8Array(frame)))
  return frames
}

describe('FrameDecoder', () => {
  const messages = sampleMessages()
  const encoded = messages.map(m => concat(encodeMessage(m)))
  const stream = concat(encoded)
  const expected = encoded.map(e => e.subarray(4))

  it('decodes a stream split at every possible byte boundary', () => {
    const want = expected.map(e => Buffer.from(e))
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder({ maxFrameSize: MAX })
      const frames = collect(decoder, [stream.subarray(0, cut), stream.subarray(cut)])
      if (frames.length !== want.length || !frames.every((f, i) => want[i].equals(f))) {
        throw new Error(`stream split at ${cut} decoded differently`)
      }
      expect(decoder.bufferedBytes).toBe(0)
    }
    expect(collect(new FrameDecoder({ maxFrameSize: MAX }), [stream])).toEqual(expected.map(e => new Uint8Array(e)))
  })

  it('decodes every frame split at every pair of boundaries', () => {
    let checked = 0
    for (const frame of encoded) {
      const body = Buffer.from(frame.subarray(4))
      for (let a = 0; a <= frame.length; a++) {
        for (let b = a; b <= frame.length; b++) {
          const decoder = new FrameDecoder({ maxFrameSize: MAX })
          let count = 0
          const check = (f: Uint8Array): void => {
            count++
            if (!body.equals(f)) throw new Error(`frame split at ${a}/${b} differs`)
          }
          decoder.push(frame.subarray(0, a), check)
          decoder.push(frame.subarray(a, b), check)
          decoder.push(frame.subarray(b), check)
          if (count !== 1) throw new Error(`frame split at ${a}/${b} gave ${count} frames`)
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(10000)
  })

  it('decodes a stream fed one byte at a time and reports buffered bytes', () => {
    const decoder = new FrameDecoder({ maxFrameSize: MAX })
    const frames: WireMessage[] = []
    for (let i = 0; i < stream.length; i++) {
      decoder.push(stream.subarray(i, i + 1), (frame) => frames.push(decodeFrame(new Uint8Array(frame))))
    }
    expect(frames).toEqual(messages)
    const first = encoded[0]
    decoder.push(first.subarray(0, 6), () => {})
    expect(decoder.bufferedBytes).toBe(6)
  })

  it('hands over a frame inside one piece as a view, and assembles a spanning frame once', () => {
    const decoder = new FrameDecoder({ maxFrameSize: MAX })
    const views: Uint8Array[] = []
    decoder.push(stream, (frame) => views.push(frame))
    expect(views.every(v => v.buffer === stream.buffer)).toBe(true)
    const data = concat(encodeMessage({ type: 'data', id: 1, bytes: new Uint8Array(1000).fill(3) }))
    const spanning: Uint8Array[] = []
    decoder.push(data.subarray(0, 500), (f) => spanning.push(f))
    decoder.push(data.subarray(500), (f) => spanning.push(f))
    expect(spanning).toHaveLength(1)
    expect(spanning[0].buffer).not.toBe(data.buffer)
    expect(spanning[0].length).toBe(data.length - 4)
  })

  it('rejects a length above the limit before allocating anything', () => {
    const decoder = new FrameDecoder({ maxFrameSize: 1000 })
    expect(() => decoder.push(Uint8Array.of(0x80, 0, 0, 0), () => {})).toThrow(/2147483648 bytes, more than the limit of 1000/)
    expect(decoder.bufferedBytes).toBe(0)
    // The stream is out of sync: the decoder stays failed.
    expect(() => decoder.push(Uint8Array.of(0, 0, 0, 1, 0x14), () => {})).toThrow(ProtocolError)
  })

  it('rejects a frame one byte over the limit and accepts one at the limit', () => {
    const atLimit = concat([Uint8Array.of(0, 0, 0, 100, 0x22), new Uint8Array(99)])
    const frames: Uint8Array[] = []
    new FrameDecoder({ maxFrameSize: 100 }).push(atLimit, (f) => frames.push(f))
    expect(frames).toHaveLength(1)
    const over = new FrameDecoder({ maxFrameSize: 100 })
    expect(() => over.push(Uint8Array.of(0, 0), () => {})).not.toThrow()
    expect(() => over.push(Uint8Array.of(0, 101), () => {})).toThrow(ProtocolError)
  })

  it('rejects a zero-length frame', () => {
    const decoder = new FrameDecoder({ maxFrameSize: 100 })
    expect(() => decoder.push(Uint8Array.of(0, 0, 0, 0), () => {})).toThrow(/length 0/)
  })

  it('propagates an exception from onFrame and stops', () => {
    const decoder = new FrameDecoder({ maxFrameSize: MAX })
    let calls = 0
    expect(() => decoder.push(stream, () => { calls++; throw new Error('handler failed') })).toThrow('handler failed')
    expect(calls).toBe(1)
    expect(() => decoder.push(stream, () => {})).toThrow(ProtocolError)
  })

  it('validates maxFrameSize', () => {
    expect(() => new FrameDecoder({ maxFrameSize: 0 })).toThrow(InvalidConfigError)
    expect(() => new FrameDecoder({ maxFrameSize: 2 ** 32 })).toThrow(InvalidConfigError)
    expect(() => new FrameDecoder({ maxFrameSize: 1.5 })).toThrow(InvalidConfigError)
  })
})

describe('FrameDecoder direct reads', () => {
  it('assembles frames read straight into readTarget() and copies frames out of transient pieces', async () => {
    const { FrameDecoder: Decoder, encodeMessage: encode } = await import('../src/index.js')
    const payload = new Uint8Array(200 * 1024).map((_, i) => i % 251)
    const parts = encode({ type: 'data', id: 7, bytes: payload })
    const wire = Buffer.concat([...parts, ...encode({ type: 'cancel', id: 1 })])
    const decoder = new Decoder({ maxFrameSize: 1 << 20 })
    const frames: Uint8Array[] = []
    const scratch = Buffer.alloc(64 * 1024)
    let offset = 0
    let direct = 0
    while (offset < wire.length) {
      const target = decoder.readTarget()
      const into = target ?? scratch
      const n = Math.min(into.length, wire.length - offset, 50_000)
      into.set(wire.subarray(offset, offset + n))
      offset += n
      if (target !== undefined) {
        direct += n
        decoder.commit(n, f => frames.push(f))
      } else {
        decoder.push(scratch.subarray(0, n), f => frames.push(f), true)
      }
    }
    // Clobber the scratch buffer: delivered frames must not be views of it.
    scratch.fill(0)
    expect(frames).toHaveLength(2)
    expect(direct).toBeGreaterThan(100 * 1024)
    expect(Buffer.from(frames[0].subarray(5))).toEqual(Buffer.from(payload))
    expect(Array.from(frames[1])).toEqual([0x24, 0, 0, 0, 1])
    expect(() => decoder.commit(1, () => {})).toThrow(RangeError)
  })
})
