import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { BLAKE3_CODE } from '@codio-chunk/interface'
import { buildManifest, toMultihashHasher, verifyBlock } from '@codio-chunk/content'
import { ContentId, UnsupportedHashError } from '@codio-chunk/interface'
import { computeContentId } from '@codio-chunk/content'
import { blake3Verifier } from '../src/index.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
/** The official BLAKE3 test vectors' input: byte i is i mod 251. */
const vectorInput = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => i % 251)
const pattern = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff)

describe('blake3Verifier', () => {
  it('is the blake3 multihash (code 0x1e, 32 bytes)', () => {
    const verifier = blake3Verifier()
    expect(verifier.name).toBe('blake3')
    expect(verifier.code).toBe(0x1e)
    expect(verifier.code).toBe(BLAKE3_CODE)
    expect(verifier.digestLength).toBe(32)
  })

  it('matches the official BLAKE3 test vectors', async () => {
    const verifier = blake3Verifier()
    const vectors: Array<[number, string]> = [
      [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'],
      [1, '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213'],
      [1023, '10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11'],
      [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7'],
      [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444'],
      [2048, 'e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a'],
      [102400, 'bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085']
    ]
    for (const [length, want] of vectors) expect(hex(await verifier.digest(vectorInput(length))), `length ${length}`).toBe(want)
    expect(hex(await verifier.digest(new TextEncoder().encode('abc')))).toBe('6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85')
    expect((await verifier.digestMany(vectors.map(([length]) => vectorInput(length)))).map(hex)).toEqual(vectors.map(([, want]) => want))
  })

  it('returns a Promise until loaded, then digests synchronously', async () => {
    const verifier = blake3Verifier()
    await verifier.digestMany([new Uint8Array(1)])
    const digest = verifier.digest(new Uint8Array(0))
    expect(digest).toBeInstanceOf(Uint8Array)
  })
})

describe('content addressed with BLAKE3', () => {
  it('gets a different CID than SHA-256 content of the same bytes', async () => {
    const bytes = pattern(3 * 256 * 1024 + 5)
    const blake3 = await computeContentId(bytes, { verifier: blake3Verifier() })
    const sha256 = await computeContentId(bytes)
    expect(blake3.equals(sha256)).toBe(false)
    expect(blake3.cid.multihash.code).toBe(0x1e)
    expect(sha256.cid.multihash.code).toBe(0x12)
    // Same bytes, same chunking: the same DAG shape, addressed by another hash.
    const manifest = await buildManifest(bytes, { verifier: blake3Verifier() })
    expect(manifest.root.equals(blake3)).toBe(true)
    expect(manifest.chunkCount).toBe(4)
    expect(manifest.hashCode).toBe(0x1e)
  })

  it('single-chunk content is the raw leaf hashed with BLAKE3, checked by verifyBlock', async () => {
    const bytes = new TextEncoder().encode('hello world\n')
    const verifier = blake3Verifier()
    const id = await computeContentId(bytes, { verifier })
    const digest = await toMultihashHasher(verifier).digest(bytes)
    expect(Buffer.from(id.cid.multihash.bytes).equals(Buffer.from(digest.bytes))).toBe(true)
    expect(await verifyBlock(id.cid, bytes, verifier)).toBe(true)
    expect(await verifyBlock(id.cid, new TextEncoder().encode('hello world?'), verifier)).toBe(false)
    await expect(verifyBlock(id.cid, bytes)).rejects.toBeInstanceOf(UnsupportedHashError)
    // A SHA-256 id of the same bytes is not accepted by the BLAKE3 verifier either.
    const shaId = await computeContentId(bytes)
    expect(hex(shaId.cid.multihash.digest)).toBe(createHash('sha256').update(bytes).digest('hex'))
    await expect(verifyBlock(shaId.cid, bytes, verifier)).rejects.toThrow(/0x12.*blake3/)
  })
})
