import { describe, expect, it } from 'vitest'
import { UnixFS } from 'ipfs-unixfs'
import { buildManifest } from '../src/build-manifest.js'
import { verifyBlock } from '../src/hasher.js'
import { dagPbLeafSize, fileLeafBlock, leafBlock, leafData, unixfsLeafData } from '../src/leaf.js'
import { ChunkVerificationError, InvalidManifestError } from '@codio-chunk/interface'
import { BlockMap, fileNode, putNode, putRaw, sameBytes } from './fixtures/content/blocks.js'
import { patternBytes } from './fixtures/content/generators.js'

const K = 1024

describe('leafBlock / leafData', () => {
  for (const cidVersion of [0, 1] as const) {
    for (const [size, chunkSize] of [[0, K], [1, K], [5 * K + 3, K], [176 * K, K], [300_000, 262_144], [2 * 131_072, 131_072]]) {
      it(`every leaf block hashes to its chunk CID and back (CIDv${cidVersion}, ${size} bytes, ${chunkSize}-byte chunks)`, async () => {
        const content = patternBytes(size, size + cidVersion)
        const manifest = await buildManifest(content, { chunkSize, cidVersion })
        for (let i = 0; i < manifest.chunkCount; i++) {
          const data = content.subarray(manifest.chunkOffset(i), manifest.chunkOffset(i) + manifest.chunkLength(i))
          const block = leafBlock(manifest, i, data)
          expect(await verifyBlock(manifest.chunkCid(i), block)).toBe(true)
          if (cidVersion === 1) expect(block).toBe(data) // raw leaves: the data itself
          else expect(block.length).toBe(dagPbLeafSize(data.length))
          const back = leafData(manifest, i, block)
          expect(sameBytes(back, data)).toBe(true)
          expect(back.buffer).toBe(block.buffer) // a view, not a copy
        }
      })
    }
  }

  it('leafBlock refuses data of the wrong length', async () => {
    const manifest = await buildManifest(patternBytes(3 * K), { chunkSize: K, cidVersion: 0 })
    expect(() => leafBlock(manifest, 1, patternBytes(K - 1))).toThrow(ChunkVerificationError)
    expect(() => leafBlock(manifest, 3, patternBytes(K))).toThrow(RangeError)
  })

  it('fileLeafBlock encodes the empty leaf as ipfs add does', () => {
    expect([...fileLeafBlock(new Uint8Array(0))]).toEqual([0x0a, 0x04, 0x08, 0x02, 0x18, 0x00])
    expect(dagPbLeafSize(0)).toBe(6)
    expect(dagPbLeafSize(262_144)).toBe(fileLeafBlock(new Uint8Array(262_144)).length)
  })
})

describe('leafData rejects what is not a leaf of this chunk', () => {
  it('raw leaves of the wrong length', async () => {
    const manifest = await buildManifest(patternBytes(2 * K), { chunkSize: K })
    expect(() => leafData(manifest, 0, patternBytes(K + 1))).toThrow(InvalidManifestError)
  })

  it('dag-pb blocks with links, of another UnixFS type, with the wrong length or not dag-pb at all', async () => {
    const manifest = await buildManifest(patternBytes(2 * K), { chunkSize: K, cidVersion: 0 })
    const map = new BlockMap()
    const leaf = await putRaw(map, patternBytes(K))
    const withLinks = map.get((await putNode(map, fileNode([K]), [{ Name: '', Tsize: K, Hash: leaf }])).toString()) as Uint8Array
    const directory = map.get((await putNode(map, new UnixFS({ type: 'directory' }))).toString()) as Uint8Array
    const noData = map.get((await putNode(map, undefined)).toString()) as Uint8Array
    expect(() => leafData(manifest, 0, withLinks)).toThrow(/links/)
    expect(() => leafData(manifest, 0, directory)).toThrow(/only files are supported/)
    expect(() => leafData(manifest, 0, noData)).toThrow(InvalidManifestError)
    expect(() => leafData(manifest, 0, fileLeafBlock(patternBytes(K - 1)))).toThrow(/holds 1023 bytes/)
    expect(() => leafData(manifest, 0, patternBytes(K))).toThrow(InvalidManifestError)
    expect(() => unixfsLeafData(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(InvalidManifestError)
  })

  it('accepts UnixFS raw-type leaves (as Kubo writes for trickle DAGs)', async () => {
    const manifest = await buildManifest(patternBytes(2 * K), { chunkSize: K, cidVersion: 0 })
    const map = new BlockMap()
    const data = patternBytes(K, 9)
    const cid = await putNode(map, new UnixFS({ type: 'raw', data }))
    expect(sameBytes(leafData(manifest, 0, map.get(cid.toString()) as Uint8Array), data)).toBe(true)
  })
})
