import { describe, expect, it } from 'vitest'
import { ContentId, ProtocolError } from '@codio-chunk/interface'
import { ChunkBufferPool, EAGER_FRAME_BYTES, FrameDecoder, MAX_BITFIELD_FRAME_BYTES, RequestLedger, admitLargeFrame, decodeFrame, encodeMessage } from '../src/index.js'
import type { WireMessage } from '@codio-chunk/interface'

const content = ContentId.parse('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e').cid
const bytesOf = (message: WireMessage): Uint8Array => Uint8Array.from(encodeMessage(message).flatMap(part => [...part]))

/** A pool that counts the bytes it lent. */
class CountingPool extends ChunkBufferPool {
  lent = 0
  override acquire (size: number): Uint8Array {
    this.lent += size
    return super.acquire(size)
  }
}

function decoderFor (ledger: RequestLedger, pool = new CountingPool()): { decoder: FrameDecoder, pool: CountingPool, frames: WireMessage[], feed: (bytes: Uint8Array, piece?: number) => void } {
  const decoder = new FrameDecoder({ maxFrameSize: 4 * 1024 * 1024 + 4096, buffers: pool, admit: (length, head) => admitLargeFrame(length, head, (id) => ledger.answerState(id)) })
  const frames: WireMessage[] = []
  const feed = (bytes: Uint8Array, piece = bytes.length): void => {
    for (let p = 0; p < bytes.length; p += piece) decoder.push(bytes.slice(p, p + piece), (frame) => frames.push(decodeFrame(frame)), true)
  }
  return { decoder, pool, frames, feed }
}

describe('long frames are admitted before anything is allocated for them', () => {
  const chunk = new Uint8Array(256 * 1024).fill(9)

  it('assembles a data frame answering a request this side waits for, however it is split', () => {
    for (const piece of [1, 3, 4, 5, 7, 4096, 300_000]) {
      const ledger = new RequestLedger()
      ledger.sending({ type: 'request-chunk', id: 7, content, index: 0 })
      const { frames, feed } = decoderFor(ledger)
      feed(bytesOf({ type: 'data', id: 7, bytes: chunk }), piece)
      expect(frames).toHaveLength(1)
      expect((frames[0] as { bytes: Uint8Array }).bytes.length).toBe(chunk.length)
    }
  })

  it('refuses a data frame answering nothing this side asked for, having allocated nothing for it', () => {
    for (const piece of [1, 5, 4096]) {
      const { pool, feed, decoder } = decoderFor(new RequestLedger())
      // Only the length and the head are sent: a peer trying to pin memory with a half-sent frame.
      const half = bytesOf({ type: 'data', id: 99, bytes: chunk }).subarray(0, 4 + 64)
      expect(() => feed(half, piece)).toThrow(ProtocolError)
      expect(() => feed(half, piece)).toThrow(/never made/)
      expect(pool.lent).toBe(0)
      expect(decoder.midFrame).toBe(false)
    }
  })

  it('skips, without keeping its bytes, a data frame answering a request this side cancelled, and goes on', () => {
    for (const piece of [1, 5, 1000, 1 << 20]) {
      const ledger = new RequestLedger()
      ledger.sending({ type: 'request-chunk', id: 3, content, index: 0 })
      ledger.sending({ type: 'cancel', id: 3 })
      const { pool, frames, feed } = decoderFor(ledger)
      const stream = Uint8Array.from([...bytesOf({ type: 'data', id: 3, bytes: chunk }), ...bytesOf({ type: 'have', content, index: 5 })])
      feed(stream, piece)
      expect(frames).toEqual([{ type: 'have', content: expect.anything(), index: 5 }])
      expect(pool.lent).toBe(0)
    }
  })

  it('accepts long bitfields up to the limit and refuses other long frames', () => {
    const ledger = new RequestLedger()
    const { frames, feed } = decoderFor(ledger)
    const bits = new Uint8Array(EAGER_FRAME_BYTES + 10)
    feed(bytesOf({ type: 'bitfield', content, chunkCount: bits.length * 8, bits }), 777)
    expect(frames.map(f => f.type)).toEqual(['bitfield'])
    expect(admitLargeFrame(MAX_BITFIELD_FRAME_BYTES + 1, Uint8Array.of(0x10, 0, 0, 0, 0), () => 'unknown')).toEqual({ refuse: expect.stringMatching(/bitfield frame of/) })
    expect(admitLargeFrame(EAGER_FRAME_BYTES + 1, Uint8Array.of(0x01, 0, 0, 0, 0), () => 'unknown')).toEqual({ refuse: expect.stringMatching(/hello frame/) })
  })

  it('leaves frames up to the eager size alone, and says when a frame is half in', () => {
    const { decoder, frames, feed } = decoderFor(new RequestLedger())
    const small = bytesOf({ type: 'data', id: 1, bytes: new Uint8Array(1000) })
    feed(small.subarray(0, 10))
    expect(decoder.midFrame).toBe(true)
    feed(small.subarray(10))
    expect(decoder.midFrame).toBe(false)
    expect(frames).toHaveLength(1)
  })
})

describe('RequestLedger.answerState', () => {
  it('tells awaited, cancelled and unknown requests apart, and forgets the oldest cancels', () => {
    const ledger = new RequestLedger()
    ledger.sending({ type: 'request-chunk', id: 1, content, index: 0 })
    expect(ledger.answerState(1)).toBe('awaited')
    ledger.sending({ type: 'cancel', id: 1 })
    expect(ledger.answerState(1)).toBe('cancelled')
    ledger.received({ type: 'data', id: 1, bytes: new Uint8Array(1) })
    expect(ledger.answerState(1)).toBe('unknown')
    for (let id = 10; id < 3000; id++) {
      ledger.sending({ type: 'request-chunk', id, content, index: 0 })
      ledger.sending({ type: 'cancel', id })
    }
    expect(ledger.answerState(10)).toBe('unknown')
    expect(ledger.answerState(2999)).toBe('cancelled')
  })
})
