// A stored manifest read back from disk: any bytes, and any mutation of real manifests' stored
// form, either parse to a Manifest or are refused with an InvalidManifestError, and a parsed one
// never describes more than the input can hold (no chunk longer than a content can have, no more
// chunks than records in the input), so a corrupt file cannot make a reader allocate or read more.
import { describe, it } from 'vitest'
import { buildManifest } from '@codio-chunk/content'
import { MAX_STORED_CHUNK_LENGTH, Manifest } from '@codio-chunk/interface'
import { fc, fuzz, refusesOnlyWith } from '../src/fuzz.js'
import { mutate, mutation } from '../src/mutate.js'

const bytesOf = (size: number, seed: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed * 17) & 0xff)

// Real manifests of the shapes ipfs add makes: one raw chunk, raw leaves under one node, CIDv0
// (dag-pb leaves), and two levels of interior nodes.
const seeds = [
  await buildManifest(bytesOf(700, 1), { chunkSize: 1024 }),
  await buildManifest(bytesOf(5 * 1024 + 10, 2), { chunkSize: 1024 }),
  await buildManifest(bytesOf(3 * 1024, 3), { chunkSize: 1024, cidVersion: 0 }),
  await buildManifest(bytesOf(176 * 1024, 4), { chunkSize: 1024 })
].map(manifest => manifest.toBytes())

describe('stored manifests', () => {
  it('Manifest.fromBytes: any bytes parse to a bounded Manifest or are refused with an InvalidManifestError', async () => {
    const input = fc.oneof(
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }) },
      { weight: 4, arbitrary: fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(mutation(), { minLength: 1, maxLength: 3 })).map(([seed, mutations]) => mutate(seeds[seed], mutations)) }
    )
    await fuzz('manifest-from-bytes', input, (bytes) => {
      const manifest = refusesOnlyWith(['InvalidManifestError'], () => Manifest.fromBytes(bytes))
      if (manifest === undefined) return true
      let longest = 0
      for (let i = 0; i < manifest.chunkCount; i++) longest = Math.max(longest, manifest.chunkLength(i))
      // Plain comparisons: expect() per chunk would cost more than the parse.
      return manifest.chunkCount <= bytes.length / 5 && longest <= MAX_STORED_CHUNK_LENGTH && manifest.totalSize <= manifest.chunkCount * MAX_STORED_CHUNK_LENGTH
    })
  })
})
