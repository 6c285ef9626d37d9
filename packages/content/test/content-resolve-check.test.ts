// resolveManifest hands each fetch a check, so a fetcher that knows who sent a block can count a
// block that breaks the UnixFS rules against its sender, as it counts a block with the wrong hash.
import { describe, expect, it } from 'vitest'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { InvalidManifestError } from '@codio-chunk/interface'
import { buildManifest } from '../src/build-manifest.js'
import { resolveManifest, type FetchBlock } from '../src/resolve-manifest.js'
import { BlockMap, blocksOf, fileNode, putNode, putRaw } from './fixtures/content/blocks.js'
import { patternBytes } from './fixtures/content/generators.js'

const K = 1024

/** A fetcher over `map` that runs each check as the engine does, and lists the blocks whose check failed. */
function checkingFetcher (map: BlockMap): { fetch: FetchBlock, blamed: string[], checked: string[] } {
  const blamed: string[] = []
  const checked: string[] = []
  const inner = map.fetcher()
  const fetch: FetchBlock = async (cid, options) => {
    const bytes = await inner(cid, options)
    if (options.check !== undefined) {
      checked.push(cid.toString())
      try {
        options.check(bytes)
      } catch (err) {
        if (err instanceof InvalidManifestError) blamed.push(cid.toString())
        throw err
      }
    }
    return bytes
  }
  return { fetch, blamed, checked }
}

async function refusal (root: CID, map: BlockMap, options: { maxChunkSize?: number } = {}): Promise<{ error: unknown, blamed: string[] }> {
  const { fetch, blamed } = checkingFetcher(map)
  const error = await resolveManifest(root, fetch, options).then(() => undefined, (err: unknown) => err)
  return { error, blamed }
}

describe('resolveManifest: the check each fetch carries', () => {
  it('is run on every dag-pb block fetched and passes the blocks of valid content', async () => {
    for (const cidVersion of [0, 1] as const) {
      const content = patternBytes(175 * K, cidVersion)
      const built = await buildManifest(content, { chunkSize: K, cidVersion })
      const { fetch, blamed, checked } = checkingFetcher(blocksOf(built, content, true))
      const { manifest } = await resolveManifest(built.root.cid, fetch)
      expect(manifest.root.equals(built.root)).toBe(true)
      expect(blamed).toEqual([])
      const expected = built.blocks.map(b => b.cid.toString())
      if (cidVersion === 0) expected.push(built.chunkCid(0).toString()) // the first leaf tells the level is leaves
      expect(checked.sort()).toEqual(expected.sort())
    }
  })

  it('fails for a block that hashes to its CID but breaks the UnixFS rules, blaming that block', async () => {
    const map = new BlockMap()
    const a = await putRaw(map, patternBytes(K, 1))
    const b = await putRaw(map, patternBytes(K, 2))
    const links = [{ Name: '', Tsize: K, Hash: a }, { Name: '', Tsize: K, Hash: b }]
    const garbage = patternBytes(40, 9)
    const undecodable = map.put(CID.createV1(0x70, await sha256.digest(garbage)), garbage)
    const noUnixfs = await putNode(map, undefined, links)
    const wrongTotal = await putNode(map, fileNode([K, K], 3 * K), links)
    const countMismatch = await putNode(map, fileNode([2 * K]), links)
    const rawTsize = await putNode(map, fileNode([K, K]), [{ Name: '', Tsize: K + 1, Hash: a }, links[1]])
    const leafFilesize = await putNode(map, Object.assign(new UnixFS({ type: 'file', data: patternBytes(10) }), { fileSize: () => 11n }))
    for (const root of [undecodable, noUnixfs, wrongTotal, countMismatch, rawTsize, leafFilesize]) {
      const { error, blamed } = await refusal(root, map)
      expect(error, root.toString()).toBeInstanceOf(InvalidManifestError)
      expect(blamed).toEqual([root.toString()])
    }
  })

  it('fails for a child that contradicts what its parent records: a node or leaf holding other sizes, a Tsize too small', async () => {
    const map = new BlockMap()
    const links = [{ Name: '', Tsize: K, Hash: await putRaw(map, patternBytes(K, 1)) }, { Name: '', Tsize: K, Hash: await putRaw(map, patternBytes(K, 2)) }]
    // An interior node holding 2 KiB under a parent recording 3 KiB.
    const inner = await putNode(map, fileNode([K, K]), links)
    const parent = await putNode(map, fileNode([3 * K]), [{ Name: '', Hash: inner }])
    // A dag-pb leaf holding 1023 bytes where its parent records 1024.
    const shortLeaf = await putNode(map, new UnixFS({ type: 'file', data: patternBytes(K - 1) }))
    const lying = await putNode(map, fileNode([K]), [{ Name: '', Hash: shortLeaf }])
    // A Tsize smaller than the node it points to.
    const smallTsize = await putNode(map, fileNode([2 * K]), [{ Name: '', Tsize: 10, Hash: inner }])
    // The same node recorded twice with different sizes: it cannot hold both.
    const twice = await putNode(map, fileNode([2 * K, 3 * K]), [{ Name: '', Hash: inner }, { Name: '', Hash: inner }])
    for (const [root, bad] of [[parent, inner], [lying, shortLeaf], [smallTsize, inner], [twice, inner]]) {
      const { error, blamed } = await refusal(root, map)
      expect(error, root.toString()).toBeInstanceOf(InvalidManifestError)
      expect(blamed).toEqual([bad.toString()])
    }
  })

  it('passes what is valid but not supported, and what exceeds this node\'s limits: those fail after the fetch, blaming no one', async () => {
    const map = new BlockMap()
    const child = await putRaw(map, patternBytes(10))
    const directory = await putNode(map, new UnixFS({ type: 'directory' }), [{ Name: 'a', Tsize: 10, Hash: child }])
    const inner = await putNode(map, fileNode([K]), [{ Name: '', Tsize: K, Hash: await putRaw(map, patternBytes(K, 2)) }])
    const innerSize = (map.get(inner.toString()) as Uint8Array).length + K
    const pbLeaf = await putNode(map, new UnixFS({ type: 'file', data: patternBytes(K, 3) }))
    const leafLater = await putNode(map, fileNode([K, K]), [{ Name: '', Tsize: innerSize, Hash: inner }, { Name: '', Hash: pbLeaf }])
    const withData = await putNode(map, new UnixFS({ type: 'file', data: patternBytes(5), blockSizes: [10n] }), [{ Name: '', Tsize: 10, Hash: child }])
    for (const root of [directory, leafLater, withData]) {
      const { error, blamed } = await refusal(root, map)
      expect(error, root.toString()).toBeInstanceOf(InvalidManifestError)
      expect(blamed).toEqual([])
    }
    const content = patternBytes(3 * K)
    const built = await buildManifest(content, { chunkSize: K, cidVersion: 0 })
    const { error, blamed } = await refusal(built.root.cid, blocksOf(built, content), { maxChunkSize: K - 1 })
    expect(error).toBeInstanceOf(InvalidManifestError)
    expect(blamed).toEqual([])
  })
})
