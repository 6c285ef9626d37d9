import { describe, expect, it } from 'vitest'
import { decode as decodePb } from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import { buildManifest, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from '../src/build-manifest.js'
import { verifyBlock } from '../src/hasher.js'
import { AbortError, InvalidConfigError, UnsupportedHashError } from '@codio-chunk/interface'
import { blocksOf, importerBlocks, sameBytes } from './fixtures/content/blocks.js'
import { fakeBlake3Verifier, patternBytes, testSha256Verifier } from './fixtures/content/generators.js'
import type { Verifier } from '@codio-chunk/interface'

const K = 1024

describe('buildManifest: same DAG as the IPFS importer', () => {
  const sizes = [0, 1, K - 1, K, K + 1, 3 * K, 174 * K, 174 * K + 1, 175 * K, 348 * K + 5]
  for (const cidVersion of [0, 1] as const) {
    for (const size of sizes) {
      it(`CIDv${cidVersion}, ${size} bytes in 1 KiB chunks`, async () => {
        const content = patternBytes(size, size)
        const manifest = await buildManifest(content, { chunkSize: K, cidVersion })
        const reference = await importerBlocks(content, K, cidVersion)
        expect(manifest.root.cid.equals(reference.root)).toBe(true)
        expect(manifest.chunkCount).toBe(Math.max(1, Math.ceil(size / K)))
        expect(manifest.totalSize).toBe(size)
        // every block we describe is a block the importer wrote, byte for byte
        const ours = blocksOf(manifest, content)
        for (const [key, bytes] of ours) expect(sameBytes(reference.blocks.get(key), bytes), key).toBe(true)
        expect(ours.size).toBe(reference.blocks.size)
        expect(manifest.leafCodec).toBe(cidVersion === 1 ? 0x55 : 0x70)
      })
    }
  }

  it('three levels (174 x 174 + 1 chunks), CIDv1', async () => {
    const content = patternBytes((174 * 174 + 1) * K, 3)
    const manifest = await buildManifest(content, { chunkSize: K })
    const reference = await importerBlocks(content, K, 1)
    expect(manifest.root.cid.equals(reference.root)).toBe(true)
    expect(manifest.chunkCount).toBe(174 * 174 + 1)
    // root, 2 nodes on level 1, 175 on level 2 (the last one wraps the last chunk)
    expect(manifest.blocks.length).toBe(1 + 2 + 175)
    for (const block of manifest.blocks) expect(sameBytes(reference.blocks.get(block.cid.toString()), block.bytes)).toBe(true)
  })
})

describe('buildManifest: manifest shape', () => {
  it('lists chunk CIDs by position, the sizes, and interior blocks root first', async () => {
    const content = patternBytes(175 * K + 10)
    const manifest = await buildManifest(content, { chunkSize: K })
    expect(manifest.chunkCount).toBe(176)
    expect(manifest.chunkLength(0)).toBe(K)
    expect(manifest.chunkLength(175)).toBe(10)
    expect(manifest.blocks[0].cid.equals(manifest.root.cid)).toBe(true)
    expect(manifest.blocks.length).toBe(3)
    for (let i = 0; i < manifest.chunkCount; i++) {
      const data = content.subarray(manifest.chunkOffset(i), manifest.chunkOffset(i) + manifest.chunkLength(i))
      expect(await verifyBlock(manifest.chunkCid(i), data)).toBe(true)
    }
    // the root links the two level-1 nodes, in order
    const root = decodePb(manifest.blocks[0].bytes)
    expect(root.Links.map(l => l.Hash.toString())).toEqual([manifest.blocks[1].cid.toString(), manifest.blocks[2].cid.toString()])
    for (const block of manifest.blocks) expect(await verifyBlock(block.cid, block.bytes)).toBe(true)
  })

  it('a single chunk is its own root with no interior blocks', async () => {
    const manifest = await buildManifest(patternBytes(K), { chunkSize: K, cidVersion: 0 })
    expect(manifest.chunkCount).toBe(1)
    expect(manifest.blocks).toEqual([])
    expect(manifest.chunkCid(0).equals(manifest.root.cid)).toBe(true)
  })

  it('lists identical interior nodes once (all-zero content)', async () => {
    const manifest = await buildManifest(new Uint8Array(348 * K + K), { chunkSize: K })
    // level 1: two identical full nodes and one node over the last chunk; the root
    expect(manifest.blocks.length).toBe(3)
    expect(new Set(manifest.blocks.map(b => b.cid.toString())).size).toBe(3)
    expect(manifest.chunkCount).toBe(349)
  })

  it('defaults to 256 KiB chunks and CIDv1 raw leaves', async () => {
    const manifest = await buildManifest(patternBytes(262_145))
    expect(manifest.chunkCount).toBe(2)
    expect(manifest.chunkSize).toBe(262_144)
    expect(manifest.root.version).toBe(1)
    expect(manifest.leafCodec).toBe(0x55)
  })
})

describe('buildManifest: sources and onChunk', () => {
  it('gives the same manifest for bytes, a sync iterable and an async stream of odd pieces', async () => {
    const content = patternBytes(10 * K + 123)
    const pieces = [content.subarray(0, 1), content.subarray(1, 3000), content.subarray(3000, 3000), content.subarray(3000)]
    async function * stream (): AsyncGenerator<Uint8Array> { yield * pieces }
    const a = await buildManifest(content, { chunkSize: K })
    const b = await buildManifest(pieces, { chunkSize: K })
    const c = await buildManifest(stream(), { chunkSize: K })
    expect(sameBytes(b.toBytes(), a.toBytes())).toBe(true)
    expect(sameBytes(c.toBytes(), a.toBytes())).toBe(true)
  })

  it('an empty stream is the empty file', async () => {
    const manifest = await buildManifest([], { cidVersion: 0 })
    expect(manifest.root.toString()).toBe('QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH')
    expect(manifest.chunkCount).toBe(1)
    expect(manifest.chunkLength(0)).toBe(0)
  })

  it('hands every chunk to onChunk once, in order, as views of a Uint8Array source', async () => {
    const content = patternBytes(5 * K + 7)
    const seen: Array<[number, Uint8Array]> = []
    const manifest = await buildManifest(content, { chunkSize: K, onChunk: (index, data) => { seen.push([index, data]) } })
    expect(seen.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5])
    for (const [index, data] of seen) {
      expect(data.buffer).toBe(content.buffer) // no copy
      expect(data.byteOffset).toBe(manifest.chunkOffset(index))
      expect(data.length).toBe(manifest.chunkLength(index))
    }
  })

  it('waits for an async onChunk before reading further (backpressure)', async () => {
    let pulled = 0
    let active = 0
    async function * stream (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 40; i++) {
        pulled++
        yield patternBytes(K, i)
      }
    }
    const stored: number[] = []
    await buildManifest(stream(), {
      chunkSize: K,
      onChunk: async (index) => {
        active++
        expect(active).toBe(1)
        // nothing beyond this chunk (and the one piece the chunker looks ahead for) has been read
        expect(pulled).toBeLessThanOrEqual(index + 2)
        await new Promise<void>(resolve => setImmediate(resolve))
        stored.push(index)
        active--
      }
    })
    expect(stored).toEqual(Array.from({ length: 40 }, (_, i) => i))
  })

  it('rejects with the error onChunk throws', async () => {
    const failure = new Error('disk full')
    await expect(buildManifest(patternBytes(4 * K), { chunkSize: K, onChunk: (i) => { if (i === 2) throw failure } })).rejects.toBe(failure)
  })

  it('rejects a stream that yields something other than bytes', async () => {
    await expect(buildManifest(['text'] as unknown as Uint8Array[])).rejects.toThrow(TypeError)
  })
})

describe('buildManifest: verifiers', () => {
  it('keeps leaf order when the verifier finishes batches out of order', async () => {
    const base = testSha256Verifier()
    let call = 0
    const shuffling: Verifier = {
      ...base,
      async digestMany (inputs) {
        const delay = (call++ % 2 === 0) ? 3 : 0
        for (let i = 0; i < delay; i++) await new Promise<void>(resolve => setImmediate(resolve))
        return await base.digestMany(inputs)
      }
    }
    const content = patternBytes(200 * K + 1)
    const expected = await buildManifest(content, { chunkSize: K })
    const manifest = await buildManifest(content, { chunkSize: K, verifier: shuffling })
    expect(sameBytes(manifest.toBytes(), expected.toBytes())).toBe(true)
  })

  it('hashes every block with a BLAKE3 verifier (CIDv1 only)', async () => {
    const verifier = fakeBlake3Verifier()
    const content = patternBytes(300 * K)
    const manifest = await buildManifest(content, { chunkSize: K, verifier })
    expect(manifest.hashCode).toBe(0x1e)
    expect(manifest.root.cid.multihash.code).toBe(0x1e)
    for (const block of manifest.blocks) expect(await verifyBlock(block.cid, block.bytes, verifier)).toBe(true)
    const data = content.subarray(0, K)
    expect(await verifyBlock(manifest.chunkCid(0), data, verifier)).toBe(true)
    await expect(buildManifest(content, { chunkSize: K, verifier, cidVersion: 0 })).rejects.toThrow(InvalidConfigError)
  })

  it('refuses verifiers that cannot make content ids or that lie about digest length', async () => {
    const sha512: Verifier = { ...testSha256Verifier(), name: 'sha2-512', code: 0x13, digestLength: 64 }
    await expect(buildManifest(patternBytes(10), { verifier: sha512 })).rejects.toThrow(UnsupportedHashError)
    const short: Verifier = { ...testSha256Verifier(), digestLength: 20 }
    await expect(buildManifest(patternBytes(10), { verifier: short })).rejects.toThrow(InvalidConfigError)
  })
})

describe('buildManifest: options and abort', () => {
  it('refuses out-of-range options', async () => {
    for (const chunkSize of [0, MIN_CHUNK_SIZE - 1, MAX_CHUNK_SIZE + 1, K + 0.5, Number.NaN]) {
      await expect(buildManifest(patternBytes(10), { chunkSize })).rejects.toThrow(InvalidConfigError)
    }
    await expect(buildManifest(patternBytes(10), { cidVersion: 2 as 1 })).rejects.toThrow(InvalidConfigError)
    await expect(buildManifest(patternBytes(10), { chunkSize: MAX_CHUNK_SIZE })).resolves.toBeDefined()
  })

  it('stops with AbortError when aborted before or during the build', async () => {
    const before = new AbortController()
    before.abort()
    await expect(buildManifest(patternBytes(10), { signal: before.signal })).rejects.toThrow(AbortError)
    const during = new AbortController()
    const seen: number[] = []
    const run = buildManifest(patternBytes(20 * K), {
      chunkSize: K,
      signal: during.signal,
      onChunk: (i) => { seen.push(i); if (i === 3) during.abort() }
    })
    await expect(run).rejects.toThrow(AbortError)
    expect(seen).toEqual([0, 1, 2, 3])
  })

  it('gives CIDs that parse back to the same CID objects', async () => {
    const manifest = await buildManifest(patternBytes(3 * K), { chunkSize: K, cidVersion: 0 })
    expect(CID.parse(manifest.root.toString()).equals(manifest.root.cid)).toBe(true)
    expect(manifest.root.toString().startsWith('Qm')).toBe(true)
  })
})
