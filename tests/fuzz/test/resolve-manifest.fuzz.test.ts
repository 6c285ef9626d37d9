// A manifest fetched from peers, block by block: real DAGs with one block mutated (or replaced by
// random bytes) resolve to the verified manifest or are refused with the project's named errors.
// With hashing on, whatever resolves is exactly the original manifest; with `fetchVerifies` (the
// engine's fetch checks hashes itself), the mutated bytes reach the decoders as if they had
// matched their CID, and whatever resolves stays within the limits.
import { describe, it } from 'vitest'
import { buildManifest, leafBlock, resolveManifest } from '@codio-chunk/content'
import { DAG_PB_CODE, NotFoundError } from '@codio-chunk/interface'
import type { Manifest, ManifestBlock } from '@codio-chunk/interface'
import { fc, fuzz, refusesOnlyWithAsync } from '../src/fuzz.js'
import { mutate, mutation } from '../src/mutate.js'

type CID = ManifestBlock['cid']

const ALLOWED = ['InvalidManifestError', 'ContentMismatchError', 'InvalidContentIdError', 'UnsupportedHashError', 'NotFoundError']
const MAX_CHUNK_SIZE = 4 * 1024 * 1024

interface Dag {
  manifest: Manifest
  /** Every block a fetch may ask for: interior nodes, and the leaves of CIDv0 content. */
  blocks: Array<{ cid: CID, bytes: Uint8Array }>
  stored: Uint8Array
}

async function dag (size: number, seed: number, cidVersion: 0 | 1): Promise<Dag> {
  const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 13 + seed * 7) & 0xff)
  const manifest = await buildManifest(bytes, { chunkSize: 1024, cidVersion })
  const blocks = manifest.blocks.map(b => ({ cid: b.cid, bytes: b.bytes }))
  for (let i = 0; i < manifest.chunkCount; i++) {
    const cid = manifest.chunkCid(i)
    if (cid.code !== DAG_PB_CODE) continue
    const data = bytes.subarray(manifest.chunkOffset(i), manifest.chunkOffset(i) + manifest.chunkLength(i))
    if (!blocks.some(b => b.cid.equals(cid))) blocks.push({ cid, bytes: leafBlock(manifest, i, data) })
  }
  return { manifest, blocks, stored: manifest.toBytes() }
}

// Raw leaves under one node, CIDv0 under one node, CIDv0 of one chunk, two levels of raw leaves.
const dags = [await dag(5 * 1024 + 10, 1, 1), await dag(3 * 1024 + 5, 2, 0), await dag(900, 3, 0), await dag(176 * 1024, 4, 1)]

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

describe('manifests from peers', () => {
  it('resolveManifest: mutated DAG blocks resolve to the verified manifest or are refused with named errors', async () => {
    const input = fc.record({
      dag: fc.nat({ max: dags.length - 1 }),
      block: fc.nat(),
      mutations: fc.array(mutation(96), { minLength: 1, maxLength: 3 }),
      fetchVerifies: fc.boolean()
    })
    await fuzz('resolve-manifest', input, async ({ dag: which, block, mutations, fetchVerifies }) => {
      const { manifest, blocks, stored } = dags[which]
      const target = block % blocks.length
      const served = new Map(blocks.map((b, i) => [b.cid.toString(), i === target ? mutate(b.bytes, mutations) : b.bytes]))
      const fetchBlock = async (cid: CID): Promise<Uint8Array> => {
        const bytes = served.get(cid.toString())
        if (bytes === undefined) throw new NotFoundError(`no block ${cid.toString()} here`)
        return bytes
      }
      const resolved = await refusesOnlyWithAsync(ALLOWED, async () => await resolveManifest(manifest.root.cid, fetchBlock, { fetchVerifies }))
      if (resolved === undefined) return true
      const got = resolved.manifest
      if (!fetchVerifies) return equal(got.toBytes(), stored)
      let longest = 0
      for (let i = 0; i < got.chunkCount; i++) longest = Math.max(longest, got.chunkLength(i))
      return got.chunkCount <= 2 ** 22 && longest <= MAX_CHUNK_SIZE && got.root.equals(manifest.root)
    })
  })
})
