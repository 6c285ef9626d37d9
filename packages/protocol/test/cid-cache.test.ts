import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { ProtocolError } from '@codio-chunk/interface'
import { CID_CACHE_SIZE, decodeCid } from '../src/cid-cache.js'
import { decodeFrame } from '../src/codec.js'

async function cidOf (text: string): Promise<CID<unknown, number, 0x12, 1>> {
  return CID.createV1(0x55, await sha256.digest(new TextEncoder().encode(text)))
}

describe('decodeCid', () => {
  it('returns one object per CID, equal to what CID.decode gives', async () => {
    const cid = await cidOf('a')
    const first = decodeCid(new Uint8Array(cid.bytes))
    const second = decodeCid(new Uint8Array(cid.bytes))
    expect(second).toBe(first)
    expect(first.equals(cid)).toBe(true)
    expect(first.toString()).toBe(cid.toString())
  })

  it('keeps its own copy of the bytes, not a view of the buffer they arrived in', async () => {
    const cid = await cidOf('b')
    const frame = new Uint8Array(cid.bytes.length + 10)
    frame.set(cid.bytes, 5)
    const decoded = decodeCid(frame.subarray(5, 5 + cid.bytes.length))
    frame.fill(0)
    expect(decoded.bytes.buffer).not.toBe(frame.buffer)
    expect(decoded.equals(cid)).toBe(true)
  })

  it('throws ProtocolError for malformed bytes, every time, and remembers nothing for them', () => {
    const junk = new Uint8Array([0x01, 0x55, 0x12, 0x20, 1, 2, 3])
    expect(() => decodeCid(junk)).toThrow(ProtocolError)
    expect(() => decodeCid(junk)).toThrow(ProtocolError)
  })

  it('accepts only canonical encodings: the bytes must be exactly the CID they decode to', async () => {
    const cid = await cidOf('canonical')
    const digest = cid.multihash.digest
    const nonCanonical: Array<[string, number[]]> = [
      ['an explicit version 0 with dag-pb, read as a CIDv0', [0x00, 0x70, 0x12, 0x20, ...digest]],
      ['an explicit version 0 with raw, read as a dag-pb CIDv0', [0x00, 0x55, 0x12, 0x20, ...digest]],
      ['a codec varint past the safe-integer range', [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x12, 0x20, ...digest]],
      ['a codec varint not minimally encoded', [0x01, 0xd5, 0x00, 0x12, 0x20, ...digest]],
      ['a version varint not minimally encoded', [0x81, 0x00, 0x55, 0x12, 0x20, ...digest]],
      ['a digest length varint not minimally encoded', [0x01, 0x55, 0x12, 0xa0, 0x00, ...digest]],
      ['bytes left over', [...cid.bytes, 0x00]]
    ]
    for (const [name, bytes] of nonCanonical) {
      expect(() => decodeCid(Uint8Array.from(bytes)), name).toThrow(ProtocolError)
      // The same in a message: the frame is refused.
      expect(() => decodeFrame(Uint8Array.of(0x12, bytes.length, ...bytes)), name).toThrow(/not a valid binary CID in canonical form/)
    }
    const v0 = CID.createV0(cid.multihash)
    expect(decodeCid(Uint8Array.from(v0.bytes)).equals(v0)).toBe(true)
    expect(decodeCid(Uint8Array.from(cid.bytes)).equals(cid)).toBe(true)
  })

  it('stays bounded: past CID_CACHE_SIZE distinct CIDs it starts over', async () => {
    const first = await cidOf('first')
    const kept = decodeCid(first.bytes)
    for (let i = 0; i < CID_CACHE_SIZE; i++) decodeCid((await cidOf(`other ${i}`)).bytes)
    const again = decodeCid(first.bytes)
    expect(again).not.toBe(kept)
    expect(again.equals(kept)).toBe(true)
  })
})
