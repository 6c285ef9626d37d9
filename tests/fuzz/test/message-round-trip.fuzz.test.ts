// Every valid message survives the wire: encodeMessage, the frame decoder and decodeFrame give back
// an equal message (CIDs compared as strings, bytes as bytes), and messageSize counts its bytes.
import { isDeepStrictEqual } from 'node:util'
import { describe, it } from 'vitest'
import { FrameDecoder, decodeFrame, encodeMessage, messageSize } from '@codio-chunk/protocol'
import { fuzz } from '../src/fuzz.js'
import { concat, messageArbitrary, plain } from '../src/wire-arbitraries.js'

describe('wire messages', () => {
  it('message-round-trip: encode, frame, decode gives back the message', async () => {
    const decoder = new FrameDecoder({ maxFrameSize: 0xffffffff })
    await fuzz('message-round-trip', messageArbitrary, (message) => {
      const stream = concat(encodeMessage(message))
      if (messageSize(message) !== stream.length) throw new Error(`messageSize says ${messageSize(message)}, the frame is ${stream.length} bytes`)
      const frames: Uint8Array[] = []
      decoder.push(stream, (frame) => { frames.push(frame) })
      if (frames.length !== 1 || decoder.bufferedBytes !== 0) throw new Error(`one message gave ${frames.length} frames and left ${decoder.bufferedBytes} bytes`)
      const decoded = decodeFrame(frames[0])
      if (!isDeepStrictEqual(plain(decoded), plain(message))) {
        throw new Error(`decoded ${JSON.stringify(plain(decoded)).slice(0, 500)} from ${JSON.stringify(plain(message)).slice(0, 500)}`)
      }
    })
  })
})
