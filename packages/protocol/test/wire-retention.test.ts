// Decoded messages outlive their frames (the CID cache keeps CIDs, the engine keeps bitfields and
// addresses): nothing but a data message's bytes may refer to the frame's memory, or one kept CID
// keeps a frame of megabytes alive.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { decodeFrame, encodeMessage } from '../src/codec.js'
import { decodeCid } from '../src/cid-cache.js'
import type { WireMessage } from '@codio-chunk/interface'
import { concat } from './wire-fixtures.js'

let fresh = 0
/** A CID no earlier test decoded (so the CID cache misses and decodes it from the frame). */
function freshCid (version: 0 | 1): CID {
  const digest = new Uint8Array(32)
  new DataView(digest.buffer).setUint32(0, ++fresh)
  digest[31] = 0xa5
  const multihash = createDigest(0x12, digest)
  return version === 0 ? CID.createV0(multihash) : CID.createV1(0x55, multihash)
}

/** Every message type but data, with CIDs the cache has not seen. */
function messages (): WireMessage[] {
  return [
    { type: 'hello', version: 1, peerId: '12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV', maxFrameSize: 1 << 22, maxRequests: 64, addresses: ['tcp://127.0.0.1:4001'], agent: 'a' },
    { type: 'goodbye', code: 1, reason: 'bad frame' },
    { type: 'bitfield', content: freshCid(1), chunkCount: 20, bits: Uint8Array.of(0xff, 0x0f, 0xf0) },
    { type: 'bitfield', content: freshCid(0), chunkCount: 8, bits: Uint8Array.of(0x81) },
    { type: 'have', content: freshCid(0), index: 3 },
    { type: 'interested', content: freshCid(1) },
    { type: 'not-interested', content: freshCid(0) },
    { type: 'peers', content: freshCid(1), addresses: ['tcp://10.0.0.1:4001', 'quic://[::1]:4002'] },
    { type: 'request-chunk', id: 1, content: freshCid(0), index: 2 },
    { type: 'request-block', id: 2, content: freshCid(1), block: freshCid(0) },
    { type: 'reject', id: 3, code: 1, reason: 'no' },
    { type: 'cancel', id: 4 }
  ]
}

/** The frame (type byte and payload) in a Node.js Buffer inside a larger buffer, as a socket read delivers it. */
function socketFrame (message: WireMessage, padding = 64): Buffer {
  const encoded = concat(encodeMessage(message)).subarray(4)
  const read = Buffer.alloc(encoded.length + 2 * padding)
  read.set(encoded, padding)
  return read.subarray(padding, padding + encoded.length)
}

/** Every ArrayBuffer a value refers to through typed arrays, following own properties (CIDs included). */
function buffersOf (value: unknown, seen = new Set<unknown>(), out = new Set<ArrayBufferLike>()): Set<ArrayBufferLike> {
  if (value === null || typeof value !== 'object' || seen.has(value)) return out
  seen.add(value)
  if (ArrayBuffer.isView(value)) {
    out.add(value.buffer)
    return out
  }
  for (const key of Object.getOwnPropertyNames(value)) buffersOf((value as Record<string, unknown>)[key], seen, out)
  return out
}

describe('decoded messages hold no view of their frame', () => {
  it('every message but data: CIDs, bitfield bits and strings are copies, for frames in Buffers too', () => {
    for (const message of messages()) {
      const frame = socketFrame(message)
      const decoded = decodeFrame(frame)
      expect(decoded.type).toBe(message.type)
      expect(buffersOf(decoded).has(frame.buffer), `${message.type} refers to its frame`).toBe(false)
    }
  })

  it('decodeCid keeps a copy of bytes given in a Buffer, CIDv0 and CIDv1', () => {
    for (const version of [0, 1] as const) {
      const cid = freshCid(version)
      const read = Buffer.alloc(4096)
      read.set(cid.bytes, 100)
      const decoded = decodeCid(read.subarray(100, 100 + cid.bytes.length))
      expect(decoded.equals(cid)).toBe(true)
      expect(buffersOf(decoded).has(read.buffer)).toBe(false)
      read.fill(0)
      expect(decoded.equals(cid)).toBe(true)
    }
  })

  it('lets the frame go: a 4 MiB bitfield frame is collected while its decoded message is kept', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const chunkCount = 8 * (4 * 1024 * 1024 - 64)
    const bits = new Uint8Array(chunkCount / 8).fill(0xff)
    const kept: WireMessage[] = []
    const frames: Array<WeakRef<ArrayBufferLike>> = []
    // In a function of its own, so no variable of this test's frame still holds the last frame.
    const receive = (version: 0 | 1): void => {
      const frame = socketFrame({ type: 'bitfield', content: freshCid(version), chunkCount, bits }, 0)
      frames.push(new WeakRef(frame.buffer))
      kept.push(decodeFrame(frame))
    }
    for (const version of [1, 0, 1] as const) receive(version)
    // WeakRefs hold their target until the current job ends.
    await new Promise(resolve => setTimeout(resolve, 0))
    gc()
    expect(frames.map(f => f.deref() === undefined)).toEqual([true, true, true])
    expect(kept.every(m => m.type === 'bitfield' && m.bits.length === chunkCount / 8)).toBe(true)
  })
})
