import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { CID_CACHE_SIZE, decodeCid } from '../src/cid-cache.js'

async function cidOf (text: string): Promise<CID> {
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

  it('throws for malformed bytes, every time, and remembers nothing for them', () => {
    const junk = new Uint8Array([0x01, 0x55, 0x12, 0x20, 1, 2, 3])
    expect(() => decodeCid(junk)).toThrow()
    expect(() => decodeCid(junk)).toThrow()
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
