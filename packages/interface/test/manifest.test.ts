import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { InvalidManifestError, MAX_STORED_CHUNK_LENGTH, Manifest } from '../src/index.js'

const RAW = 0x55
const DAG_PB = 0x70

/** A manifest of `sizes.length` raw chunks under a dag-pb root with one (made-up) interior block. */
async function manifestOf (sizes: number[]): Promise<Manifest> {
  const chunks: CID[] = []
  for (let i = 0; i < sizes.length; i++) chunks.push(CID.createV1(RAW, await sha256.digest(Uint8Array.of(i))))
  const block = Uint8Array.of(1, 2, 3)
  const root = CID.createV1(DAG_PB, await sha256.digest(block))
  return new Manifest({ root, chunks, sizes, blocks: [{ cid: root, bytes: block }] })
}

/** Offsets in the stored form of a manifest from {@link manifestOf} (36-byte CIDs). */
const COUNT_AT = 4 + 1 + 1 + 36
const sizeAt = (index: number): number => COUNT_AT + 4 + index * (1 + 36 + 4) + 1 + 36

const refusal = (bytes: Uint8Array): unknown => {
  try {
    Manifest.fromBytes(bytes)
  } catch (err) {
    return err
  }
  return undefined
}

describe('Manifest.fromBytes', () => {
  it('reads back what toBytes wrote', async () => {
    const manifest = await manifestOf([1024, 1024, 300])
    const copy = Manifest.fromBytes(manifest.toBytes())
    expect(copy.root.equals(manifest.root)).toBe(true)
    expect(copy.chunkCount).toBe(3)
    expect(copy.totalSize).toBe(2348)
    expect(copy.chunkCid(2).equals(manifest.chunkCid(2))).toBe(true)
    expect(copy.blocks[0].bytes).toEqual(Uint8Array.of(1, 2, 3))
    expect(copy.toBytes()).toEqual(manifest.toBytes())
  })

  it('refuses a chunk length no content has (a 1 GiB chunk) with InvalidManifestError', async () => {
    const bytes = (await manifestOf([1024, 1024, 300])).toBytes()
    new DataView(bytes.buffer).setUint32(sizeAt(1), 2 ** 30)
    expect(refusal(bytes)).toBeInstanceOf(InvalidManifestError)
    new DataView(bytes.buffer).setUint32(sizeAt(1), MAX_STORED_CHUNK_LENGTH)
    expect(Manifest.fromBytes(bytes).chunkLength(1)).toBe(MAX_STORED_CHUNK_LENGTH)
  })

  it('refuses a chunk count the bytes cannot hold before allocating for it', async () => {
    const bytes = (await manifestOf([1024, 1024, 300])).toBytes()
    new DataView(bytes.buffer).setUint32(COUNT_AT, 2 ** 24)
    const before = process.memoryUsage().heapUsed
    const err = refusal(bytes)
    const grown = process.memoryUsage().heapUsed - before
    expect(err).toBeInstanceOf(InvalidManifestError)
    expect((err as Error).message).toMatch(/claims 16777216 chunks/)
    // Two arrays of 2^24 slots would be 256 MiB.
    expect(grown).toBeLessThan(32 * 1024 * 1024)

    new DataView(bytes.buffer).setUint32(COUNT_AT, 0xffffffff)
    expect(refusal(bytes)).toBeInstanceOf(InvalidManifestError)
    new DataView(bytes.buffer).setUint32(COUNT_AT, 0)
    expect(refusal(bytes)).toBeInstanceOf(InvalidManifestError)
  })

  it('refuses bytes the CID library rejects, and roots that are not content ids, with InvalidManifestError only', async () => {
    const manifest = await manifestOf([10])
    const badCid = manifest.toBytes()
    badCid[COUNT_AT + 4 + 1] = 0x07 // chunk 0's CID version
    expect(refusal(badCid)).toBeInstanceOf(InvalidManifestError)

    const sha512Root = CID.createV1(DAG_PB, await sha512.digest(Uint8Array.of(1)))
    const bytes = manifest.toBytes()
    const rootBytes = sha512Root.bytes
    const forged = new Uint8Array(bytes.length - 36 + rootBytes.length)
    forged.set(bytes.subarray(0, 5))
    forged[5] = rootBytes.length
    forged.set(rootBytes, 6)
    forged.set(bytes.subarray(6 + 36), 6 + rootBytes.length)
    expect(refusal(forged)).toBeInstanceOf(InvalidManifestError)
  })

  it('refuses truncated input, junk after the last block and chunks of mixed codecs', async () => {
    const manifest = await manifestOf([10, 10])
    const bytes = manifest.toBytes()
    for (let length = 0; length < bytes.length; length++) {
      expect(refusal(bytes.subarray(0, length)), `${length} bytes`).toBeInstanceOf(InvalidManifestError)
    }
    expect(refusal(Uint8Array.of(...bytes, 0))).toBeInstanceOf(InvalidManifestError)
    const mixed = manifest.toBytes()
    mixed[COUNT_AT + 4 + 1 + 36 + 4 + 1 + 1] = DAG_PB // chunk 1's codec byte
    expect(refusal(mixed)).toBeInstanceOf(InvalidManifestError)
  })
})
