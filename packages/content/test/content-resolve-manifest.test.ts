import { describe, expect, it } from 'vitest'
import { UnixFS } from 'ipfs-unixfs'
import { trickle } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'
import { buildManifest } from '../src/build-manifest.js'
import { fileLeafBlock } from '../src/leaf.js'
import { resolveManifest } from '../src/resolve-manifest.js'
import { AbortError, ContentMismatchError, InvalidConfigError, InvalidContentIdError, InvalidManifestError, UnsupportedHashError } from '@codio-chunk/interface'
import { BlockMap, blocksOf, fileNode, importerBlocks, putNode, putRaw, sameBytes } from './fixtures/content/blocks.js'
import { fakeBlake3Verifier, patternBytes } from './fixtures/content/generators.js'
import type { Manifest } from '@codio-chunk/interface'

const K = 1024

async function roundTrip (content: Uint8Array, cidVersion: 0 | 1, concurrency = 8, firstLeafOnly = false): Promise<{ built: Manifest, map: BlockMap, resolved: Awaited<ReturnType<typeof resolveManifest>> }> {
  const built = await buildManifest(content, { chunkSize: K, cidVersion })
  const map = blocksOf(built, content, firstLeafOnly)
  const resolved = await resolveManifest(built.root.cid, map.fetcher(), { concurrency })
  return { built, map, resolved }
}

describe('resolveManifest gives the manifest buildManifest makes', () => {
  const cases: Array<[string, number]> = [
    ['empty content', 0],
    ['a single chunk', 100],
    ['exactly one chunk', K],
    ['an exact multiple of the chunk size', 3 * K],
    ['a full root (174 chunks)', 174 * K],
    ['two levels (175 chunks)', 175 * K],
    ['two levels, partial last chunk', 348 * K + 5]
  ]
  for (const cidVersion of [0, 1] as const) {
    for (const [name, size] of cases) {
      it(`CIDv${cidVersion}: ${name}`, async () => {
        const content = patternBytes(size, size)
        const { built, map, resolved } = await roundTrip(content, cidVersion)
        expect(sameBytes(resolved.manifest.toBytes(), built.toBytes())).toBe(true)
        expect(resolved.manifest.root.equals(built.root)).toBe(true)
        for (const count of map.fetches.values()) expect(count).toBe(1) // nothing fetched twice
        if (built.chunkCount === 1) {
          expect([...resolved.leaves.keys()]).toEqual([0])
          expect(sameBytes(resolved.leaves.get(0), map.get(built.root.toString()))).toBe(true)
        } else if (cidVersion === 1) {
          expect(resolved.leaves.size).toBe(0) // raw leaves are known from their CIDs: none fetched
          expect(map.fetches.size).toBe(built.blocks.length)
        } else {
          expect([...resolved.leaves.keys()]).toEqual([0]) // only the first leaf tells the level is leaves
          expect(sameBytes(resolved.leaves.get(0), map.get(built.chunkCid(0).toString()))).toBe(true)
          expect(map.fetches.size).toBe(built.blocks.length + 1)
        }
      })
    }
  }

  it('three levels (174 x 174 + 1 chunks), fetching siblings with bounded concurrency', async () => {
    const { built, map, resolved } = await roundTrip(patternBytes((174 * 174 + 1) * K, 5), 1, 3, true)
    expect(sameBytes(resolved.manifest.toBytes(), built.toBytes())).toBe(true)
    expect(resolved.manifest.blocks.length).toBe(178)
    expect(map.maxInFlight).toBe(3)
  })

  it('the published 45,900,000-zero-byte vector, fetching each distinct block once', async () => {
    const built = await buildManifest(new Uint8Array(45_900_000), { cidVersion: 0 })
    expect(built.root.toString()).toBe('QmRdPboiJQoZ5cdazR9a8vGqdJvWg6M5bfdtUSKNHpuscj')
    const map = new BlockMap()
    for (const block of built.blocks) map.put(block.cid, block.bytes)
    map.put(built.chunkCid(0), fileLeafBlock(new Uint8Array(262_144)))
    const { manifest } = await resolveManifest(built.root.cid, map.fetcher())
    expect(sameBytes(manifest.toBytes(), built.toBytes())).toBe(true)
    expect(manifest.chunkCount).toBe(176)
  })

  it('resolves BLAKE3 DAGs with a BLAKE3 verifier', async () => {
    const verifier = fakeBlake3Verifier()
    const content = patternBytes(200 * K)
    const built = await buildManifest(content, { chunkSize: K, verifier })
    const map = blocksOf(built, content)
    const { manifest } = await resolveManifest(built.root.cid, map.fetcher(), { verifier })
    expect(sameBytes(manifest.toBytes(), built.toBytes())).toBe(true)
    await expect(resolveManifest(built.root.cid, map.fetcher())).rejects.toThrow(UnsupportedHashError)
  })
})

describe('resolveManifest refuses lies and unsupported DAGs', () => {
  it('a block that does not match its CID, at the root, an interior node or the first leaf', async () => {
    const content = patternBytes(175 * K)
    const built = await buildManifest(content, { chunkSize: K, cidVersion: 0 })
    const targets = [built.root.cid, built.blocks[1].cid, built.chunkCid(0)]
    for (const target of targets) {
      const map = blocksOf(built, content)
      const bytes = map.get(target.toString()) as Uint8Array
      const flipped = Uint8Array.from(bytes)
      flipped[flipped.length - 1] ^= 1
      map.set(target.toString(), flipped)
      await expect(resolveManifest(built.root.cid, map.fetcher())).rejects.toThrow(ContentMismatchError)
    }
  })

  it('a valid block sent for another CID', async () => {
    const content = patternBytes(175 * K)
    const built = await buildManifest(content, { chunkSize: K })
    const map = blocksOf(built, content)
    map.set(built.blocks[2].cid.toString(), built.blocks[1].bytes)
    await expect(resolveManifest(built.root.cid, map.fetcher())).rejects.toThrow(ContentMismatchError)
    const fetchNothing = async (): Promise<Uint8Array> => undefined as unknown as Uint8Array
    await expect(resolveManifest(built.root.cid, fetchNothing)).rejects.toThrow(ContentMismatchError)
  })

  it('a DAG whose leaves are not all at the same depth', async () => {
    const map = new BlockMap()
    const rawLeaf = await putRaw(map, patternBytes(K, 1))
    const inner = await putNode(map, fileNode([K]), [{ Name: '', Tsize: K, Hash: await putRaw(map, patternBytes(K, 2)) }])
    const innerSize = (map.get(inner.toString()) as Uint8Array).length + K
    // raw leaf next to an interior node
    const mixed = await putNode(map, fileNode([K, K]), [{ Name: '', Tsize: K, Hash: rawLeaf }, { Name: '', Tsize: innerSize, Hash: inner }])
    await expect(resolveManifest(mixed, map.fetcher())).rejects.toThrow(/balanced/)
    // dag-pb leaf first, interior node second (the shape of a trickle DAG)
    const pbLeaf = await putNode(map, new UnixFS({ type: 'file', data: patternBytes(K, 3) }))
    const pbLeafSize = (map.get(pbLeaf.toString()) as Uint8Array).length
    const trickleLike = await putNode(map, fileNode([K, K]), [{ Name: '', Tsize: pbLeafSize, Hash: pbLeaf }, { Name: '', Tsize: innerSize, Hash: inner }])
    await expect(resolveManifest(trickleLike, map.fetcher())).rejects.toThrow(/balanced/)
    // interior node first, leaf second
    const leafLater = await putNode(map, fileNode([K, K]), [{ Name: '', Tsize: innerSize, Hash: inner }, { Name: '', Hash: pbLeaf }])
    await expect(resolveManifest(leafLater, map.fetcher())).rejects.toThrow(/balanced/)
  })

  it('a trickle DAG made by the IPFS importer (ipfs add --trickle)', async () => {
    const content = patternBytes(40 * K)
    const { root, blocks } = await importerBlocks(content, K, 0, { layout: trickle({ maxChildrenPerNode: 4, layerRepeat: 2 }), leafType: 'raw', reduceSingleLeafToSelf: false })
    await expect(resolveManifest(root, blocks.fetcher())).rejects.toThrow(InvalidManifestError)
  })

  it('directories, symlinks and HAMT shards', async () => {
    const map = new BlockMap()
    const child = await putRaw(map, patternBytes(10))
    for (const type of ['directory', 'symlink', 'hamt-sharded-directory'] as const) {
      const links = type === 'symlink' ? [] : [{ Name: 'a', Tsize: 10, Hash: child }]
      const root = await putNode(map, new UnixFS({ type, data: type === 'symlink' ? patternBytes(4) : undefined }), links)
      await expect(resolveManifest(root, map.fetcher())).rejects.toThrow(/only files are supported/)
    }
    const noUnixfs = await putNode(map, undefined, [{ Name: '', Tsize: 10, Hash: child }])
    await expect(resolveManifest(noUnixfs, map.fetcher())).rejects.toThrow(InvalidManifestError)
  })

  it('sizes that do not add up', async () => {
    const map = new BlockMap()
    const a = await putRaw(map, patternBytes(K, 1))
    const b = await putRaw(map, patternBytes(K, 2))
    const links = [{ Name: '', Tsize: K, Hash: a }, { Name: '', Tsize: K, Hash: b }]
    const wrongTotal = await putNode(map, fileNode([K, K], 3 * K), links)
    await expect(resolveManifest(wrongTotal, map.fetcher())).rejects.toThrow(/add up/)
    const missingSize = await putNode(map, fileNode([2 * K]), links)
    await expect(resolveManifest(missingSize, map.fetcher())).rejects.toThrow(/block sizes/)
    const wrongTsize = await putNode(map, fileNode([K, K]), [{ Name: '', Tsize: K + 1, Hash: a }, links[1]])
    await expect(resolveManifest(wrongTsize, map.fetcher())).rejects.toThrow(/Tsize/)
    const zero = await putNode(map, fileNode([0, 2 * K]), links)
    await expect(resolveManifest(zero, map.fetcher())).rejects.toThrow(/invalid size/)
    // the parent says a child holds more than the child's own sizes say
    const inner = await putNode(map, fileNode([K, K]), links)
    const parent = await putNode(map, fileNode([3 * K]), [{ Name: '', Hash: inner }])
    await expect(resolveManifest(parent, map.fetcher())).rejects.toThrow(/different number of bytes/)
    // a dag-pb leaf holding fewer bytes than its parent records
    const pbLeaf = await putNode(map, new UnixFS({ type: 'file', data: patternBytes(K - 1) }))
    const lying = await putNode(map, fileNode([K]), [{ Name: '', Hash: pbLeaf }])
    await expect(resolveManifest(lying, map.fetcher())).rejects.toThrow(/different number of bytes/)
    // interior nodes carrying file data besides their links
    const withData = await putNode(map, new UnixFS({ type: 'file', data: patternBytes(5), blockSizes: [BigInt(K), BigInt(K)] }), links)
    await expect(resolveManifest(withData, map.fetcher())).rejects.toThrow(/file data besides/)
  })

  it('too many chunks, chunks too large, DAGs too deep', async () => {
    const content = patternBytes(175 * K)
    const built = await buildManifest(content, { chunkSize: K })
    const map = blocksOf(built, content)
    await expect(resolveManifest(built.root.cid, map.fetcher(), { maxChunks: 174 })).rejects.toThrow(/maxChunks/)
    await expect(resolveManifest(built.root.cid, map.fetcher(), { maxChunkSize: K - 1 })).rejects.toThrow(/maxChunkSize/)
    const single = await buildManifest(patternBytes(2 * K), { chunkSize: 2 * K })
    await expect(resolveManifest(single.root.cid, blocksOf(single, patternBytes(2 * K)).fetcher(), { maxChunkSize: K })).rejects.toThrow(/maxChunkSize/)
    // a chain of single-link nodes ten levels deep
    const chain = new BlockMap()
    let cid = await putRaw(chain, patternBytes(10))
    for (let i = 0; i < 10; i++) cid = await putNode(chain, fileNode([10]), [{ Name: '', Hash: cid }])
    await expect(resolveManifest(cid, chain.fetcher())).rejects.toThrow(/deeper than 8/)
  })

  it('links to CIDs that cannot be chunks', async () => {
    const map = new BlockMap()
    const inline = CID.createV1(0x55, identity.digest(patternBytes(10)))
    const root = await putNode(map, fileNode([10]), [{ Name: '', Tsize: 10, Hash: inline }])
    await expect(resolveManifest(root, map.fetcher())).rejects.toThrow(/identity|0x0/)
    const cbor = CID.createV1(0x71, await sha256.digest(patternBytes(10)))
    const root2 = await putNode(map, fileNode([10]), [{ Name: '', Tsize: 10, Hash: cbor }])
    await expect(resolveManifest(root2, map.fetcher())).rejects.toThrow(/codec 0x71/)
  })

  it('roots that are not content ids', async () => {
    const fetch = async (): Promise<Uint8Array> => new Uint8Array(0)
    await expect(resolveManifest(CID.createV1(0x71, await sha256.digest(new Uint8Array(1))), fetch)).rejects.toThrow(InvalidContentIdError)
    await expect(resolveManifest(CID.createV1(0x55, createDigest(0x13, new Uint8Array(64))), fetch)).rejects.toThrow(InvalidContentIdError)
  })
})

describe('resolveManifest: failures, abort and options', () => {
  it('passes fetch errors through and cancels the sibling fetches', async () => {
    const content = patternBytes(174 * 30 * K)
    const built = await buildManifest(content, { chunkSize: K })
    const map = blocksOf(built, content)
    const failure = new Error('peer gone')
    const signals: AbortSignal[] = []
    let calls = 0
    const fetch = async (cid: CID, options: { signal?: AbortSignal }): Promise<Uint8Array> => {
      calls++
      if (options.signal !== undefined) signals.push(options.signal)
      if (calls === 3) throw failure
      return await map.fetcher()(cid, options)
    }
    await expect(resolveManifest(built.root.cid, fetch, { concurrency: 2 })).rejects.toBe(failure)
    expect(calls).toBeLessThan(30)
    expect(signals.at(-1)?.aborted).toBe(true)
  })

  it('stops with AbortError when aborted before or while fetching', async () => {
    const built = await buildManifest(patternBytes(10))
    const aborted = new AbortController()
    aborted.abort()
    await expect(resolveManifest(built.root.cid, async () => new Uint8Array(0), { signal: aborted.signal })).rejects.toThrow(AbortError)
    const controller = new AbortController()
    const hanging = async (_cid: CID, options: { signal?: AbortSignal }): Promise<Uint8Array> => {
      return await new Promise((_resolve, reject) => {
        options.signal?.addEventListener('abort', () => { reject(new AbortError('fetch aborted')) }, { once: true })
        controller.abort()
      })
    }
    await expect(resolveManifest(built.root.cid, hanging, { signal: controller.signal })).rejects.toThrow(AbortError)
  })

  it('refuses bad options', async () => {
    const built = await buildManifest(patternBytes(10))
    const fetch = async (): Promise<Uint8Array> => patternBytes(10)
    await expect(resolveManifest(built.root.cid, fetch, { maxChunks: 0 })).rejects.toThrow(InvalidConfigError)
    await expect(resolveManifest(built.root.cid, fetch, { maxChunkSize: -1 })).rejects.toThrow(InvalidConfigError)
    await expect(resolveManifest(built.root.cid, fetch, { concurrency: 0 })).rejects.toThrow(InvalidConfigError)
    await expect(resolveManifest(built.root.cid, 'nope' as unknown as typeof fetch)).rejects.toThrow(InvalidConfigError)
    expect((await resolveManifest(built.root.cid, fetch)).manifest.totalSize).toBe(10)
  })
})
