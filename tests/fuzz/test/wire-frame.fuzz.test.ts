// What a peer sends, frame by frame: any bytes at all either decode to a message or are refused
// with a ProtocolError.
import { describe, it } from 'vitest'
import { decodeFrame } from '@codio-chunk/protocol'
import { fc, fuzz, refusesOnlyWith } from '../src/fuzz.js'

describe('wire frames', () => {
  it('decodeFrame: any frame decodes or is refused with a ProtocolError', async () => {
    // Random bytes, and random bytes after each real type byte (so every message type's parser runs).
    const typeBytes = [0x01, 0x02, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x20, 0x21, 0x22, 0x23, 0x24]
    const frame = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.tuple(fc.constantFrom(...typeBytes), fc.uint8Array({ maxLength: 600 })).map(([type, rest]) => Uint8Array.of(type, ...rest))
    )
    await fuzz('decode-frame', frame, (bytes) => { refusesOnlyWith(['ProtocolError'], () => decodeFrame(bytes)) })
  })
})
