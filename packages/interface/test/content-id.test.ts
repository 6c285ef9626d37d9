import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import { identity } from 'multiformats/hashes/identity'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { create as createDigest } from 'multiformats/hashes/digest'
import { ContentId, InvalidContentIdError } from '../src/index.js'

const HELLO_V0 = 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o'
const HELLO_V1 = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'
const hello = new TextEncoder().encode('hello world\n')

describe('ContentId.parse', () => {
  it('parses CIDv0 and CIDv1 in any common base, trimming whitespace', () => {
    const v0 = ContentId.parse(` ${HELLO_V0}\n`)
    expect(v0.toString()).toBe(HELLO_V0)
    expect(v0.version).toBe(0)
    const v1 = ContentId.parse(HELLO_V1)
    expect(v1.version).toBe(1)
    expect(ContentId.parse(v1.cid.toString(base36)).equals(v1)).toBe(true)
    expect(ContentId.parse(v1.cid.toString(base58btc)).equals(v1)).toBe(true)
    expect(v0.equals(v1)).toBe(false)
  })

  it('rejects garbage and empty strings with a message saying what a content id looks like', () => {
    for (const text of ['', '   ', 'not-a-cid', 'Qm123', 'bafy!!!', 'x'.repeat(5000)]) {
      let error: unknown
      try { ContentId.parse(text) } catch (err) { error = err }
      expect(error).toBeInstanceOf(InvalidContentIdError)
      expect((error as Error).message).toMatch(/Qm…/)
      expect((error as Error).message.length).toBeLessThan(500)
    }
    expect(() => ContentId.parse(42 as unknown as string)).toThrow(InvalidContentIdError)
  })

  it('rejects codecs other than raw and dag-pb', async () => {
    const dagCbor = CID.createV1(0x71, await sha256.digest(hello))
    expect(() => ContentId.parse(dagCbor.toString())).toThrow(/codec 0x71/)
    expect(() => ContentId.parse('bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe')).toThrow(InvalidContentIdError)
  })

  it('rejects identity hashes and hashes other than sha2-256 and blake3', async () => {
    const inline = CID.createV1(0x55, identity.digest(hello))
    expect(() => ContentId.parse(inline.toString())).toThrow(/identity/)
    const sha2512 = CID.createV1(0x55, await sha512.digest(hello))
    expect(() => ContentId.parse(sha2512.toString())).toThrow(/0x13/)
    const shortBlake3 = CID.createV1(0x55, createDigest(0x1e, new Uint8Array(16)))
    expect(() => ContentId.parse(shortBlake3.toString())).toThrow(/16 bytes/)
    const blake3 = CID.createV1(0x55, createDigest(0x1e, new Uint8Array(32)))
    expect(ContentId.parse(blake3.toString()).cid.equals(blake3)).toBe(true)
  })
})

describe('ContentId', () => {
  it('round-trips through bytes, JSON and CID objects', () => {
    const id = ContentId.parse(HELLO_V1)
    expect(ContentId.fromBytes(id.bytes).equals(id)).toBe(true)
    expect(JSON.stringify({ id })).toBe(`{"id":"${HELLO_V1}"}`)
    expect(id.toJSON()).toBe(HELLO_V1)
    expect(ContentId.fromCid(id.cid).equals(id)).toBe(true)
  })

  it('fromBytes accepts only the canonical binary form of a CID, and keeps a copy', () => {
    const id = ContentId.parse(HELLO_V1)
    const digest = id.cid.multihash.digest
    const nonCanonical: Array<[string, number[]]> = [
      ['an explicit version 0 with dag-pb, which CID.decode reads as a CIDv0', [0x00, 0x70, 0x12, 0x20, ...digest]],
      ['an explicit version 0 with raw, which CID.decode reads as a dag-pb CIDv0', [0x00, 0x55, 0x12, 0x20, ...digest]],
      ['a codec varint not minimally encoded', [0x01, 0xd5, 0x00, 0x12, 0x20, ...digest]],
      ['a digest length varint not minimally encoded', [0x01, 0x55, 0x12, 0xa0, 0x00, ...digest]],
      ['trailing bytes', [...id.bytes, 0x00]]
    ]
    for (const [name, bytes] of nonCanonical) {
      expect(() => ContentId.fromBytes(Uint8Array.from(bytes)), name).toThrow(InvalidContentIdError)
    }
    const v0 = ContentId.parse(HELLO_V0)
    expect(ContentId.fromBytes(Uint8Array.from(v0.bytes)).equals(v0)).toBe(true)
    const frame = new Uint8Array(200)
    frame.set(id.bytes, 50)
    const read = ContentId.fromBytes(frame.subarray(50, 50 + id.bytes.length))
    frame.fill(0)
    expect(read.equals(id)).toBe(true)
    expect(read.cid.multihash.digest.buffer).not.toBe(frame.buffer)
  })

  it('parse takes every common base of a CID to the same canonical id', () => {
    const id = ContentId.parse(HELLO_V1)
    for (const text of [id.cid.toString(base36), id.cid.toString(base58btc), HELLO_V1]) {
      const parsed = ContentId.parse(text)
      expect(parsed.equals(id)).toBe(true)
      expect(parsed.toString()).toBe(HELLO_V1)
    }
    // A CIDv0 may only be written as Qm…, never with a multibase prefix.
    expect(() => ContentId.parse(base58btc.encode(ContentId.parse(HELLO_V0).bytes))).toThrow(InvalidContentIdError)
  })

  it('parse refuses other spellings of a CID: characters outside the base alphabet the decoder reads as digits', () => {
    // multiformats' base58 and base36 decoders read U+0100 as a digit, so these strings decode to
    // the CIDs spelled with "1" (base58) or "0" (base36) in that place; toString() gave them back.
    const v0 = `${HELLO_V0.slice(0, 40)}\u0100${HELLO_V0.slice(41)}`
    const base36Text = ContentId.parse(HELLO_V1).cid.toString(base36)
    const v1 = `${base36Text.slice(0, 40)}\u0100${base36Text.slice(41)}`
    for (const alias of [v0, v1, `z${v0}`]) expect(() => ContentId.parse(alias), alias).toThrow(InvalidContentIdError)
    const canonical = ContentId.parse(`${HELLO_V0.slice(0, 40)}1${HELLO_V0.slice(41)}`)
    expect(canonical.toString()).toBe(`${HELLO_V0.slice(0, 40)}1${HELLO_V0.slice(41)}`)
  })

  it('fromBytes and fromCid refuse what parse refuses', () => {
    expect(() => ContentId.fromBytes(new Uint8Array([1, 2, 3]))).toThrow(InvalidContentIdError)
    expect(() => ContentId.fromBytes(new Uint8Array(0))).toThrow(InvalidContentIdError)
    expect(() => ContentId.fromBytes(new Uint8Array(500))).toThrow(InvalidContentIdError)
    const inline = CID.createV1(0x55, identity.digest(hello))
    expect(() => ContentId.fromBytes(inline.bytes)).toThrow(InvalidContentIdError)
    expect(() => ContentId.fromCid(inline)).toThrow(InvalidContentIdError)
    expect(() => ContentId.fromCid({} as CID)).toThrow(InvalidContentIdError)
  })
})
