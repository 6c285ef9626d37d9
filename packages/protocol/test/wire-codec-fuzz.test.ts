import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeMessage } from '../src/codec.js'
import { MessageType } from '@codio-chunk/interface'
import { ProtocolError } from '@codio-chunk/interface'
import { concat, prng, sampleMessages } from './wire-fixtures.js'

/** Decodes and reports whether it succeeded; fails the test on any error other than ProtocolError. */
function tryDecode (frame: Uint8Array): boolean {
  try {
    decodeFrame(frame)
    return true
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw new Error(`decodeFrame threw ${String(err)} for ${Buffer.from(frame).toString('hex')}`)
    return false
  }
}

const TYPE_BYTES = Object.values(MessageType)

describe('wire codec fuzzing', () => {
  it('throws only ProtocolError for every truncation of every valid frame', () => {
    let rejected = 0
    for (const message of sampleMessages()) {
      const frame = concat(encodeMessage(message)).subarray(4)
      for (let cut = 0; cut < frame.length; cut++) {
        const ok = tryDecode(frame.slice(0, cut))
        // Only data (and a bitfield whose bits vanish entirely for chunkCount 0) may survive a cut.
        if (ok) expect(message.type).toBe('data')
        else rejected++
      }
    }
    expect(rejected).toBeGreaterThan(500)
  })

  it('throws only ProtocolError for random frames with valid and invalid type bytes', () => {
    const random = prng(0xc0d10)
    let decoded = 0
    for (let i = 0; i < 20000; i++) {
      const length = Math.floor(random() * 80)
      const frame = new Uint8Array(length)
      for (let j = 0; j < length; j++) frame[j] = Math.floor(random() * 256)
      if (length > 0 && random() < 0.8) frame[0] = TYPE_BYTES[Math.floor(random() * TYPE_BYTES.length)]
      if (tryDecode(frame)) decoded++
    }
    expect(decoded).toBeGreaterThan(0)
  })

  it('throws only ProtocolError for valid frames with random bytes mutated', () => {
    const random = prng(42)
    const frames = sampleMessages().map(m => concat(encodeMessage(m)).subarray(4))
    let outcomes = 0
    for (let i = 0; i < 20000; i++) {
      const frame = frames[i % frames.length].slice()
      const flips = 1 + Math.floor(random() * 3)
      for (let f = 0; f < flips; f++) frame[Math.floor(random() * frame.length)] = Math.floor(random() * 256)
      tryDecode(frame)
      outcomes++
    }
    expect(outcomes).toBe(20000)
  })
})
