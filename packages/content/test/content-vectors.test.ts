import { describe, expect, it } from 'vitest'
import { buildManifest } from '../src/build-manifest.js'
import { ContentId } from '@codio-chunk/interface'
import { computeContentId } from '../src/index.js'
import { kuboDeterministic, kuboDeterministicBytes, testSha256Verifier, zeros } from './fixtures/content/generators.js'
import type { BuildManifestOptions } from '../src/build-manifest.js'

/**
 * CIDs published by Kubo (go-ipfs) and the IPFS project's own test suites, for inputs a test can
 * reproduce. Each must come out of buildManifest unchanged, with the default SHA-256 and with a
 * SHA-256 verifier (the path the engine uses).
 */
interface Vector {
  name: string
  /** Where the CID was published. */
  source: string
  input: () => Uint8Array | AsyncIterable<Uint8Array> | Promise<Uint8Array>
  options: BuildManifestOptions
  cid: string
  /** Number of leaves the DAG must have. */
  chunks: number
}

const text = (s: string) => () => new TextEncoder().encode(s)
const KUBO_T0040 = 'ipfs/kubo test/sharness/t0040-add-and-cat.sh'
const KUBO_ADD = 'ipfs/kubo test/cli/add_test.go (TestAdd, shortString "hello world")'
const KUBO_PROFILES = 'ipfs/kubo test/cli/cid_profiles_test.go (unixfs-v0-2015 = default profile, seed "v0-seed", testutils.DeterministicRandomReader)'
const JS_IPIP499 = 'ipfs/js-ipfs-unixfs packages/ipfs-unixfs-importer/test/ipip-499-profiles.spec.ts (expected CIDs from Kubo, helpers/deterministic.ts = Kubo\'s generator)'

const vectors: Vector[] = [
  { name: '"hello world\\n", plain ipfs add', source: 'go-ipfs README ("Basic proof of \'ipfs working\' locally")', input: text('hello world\n'), options: { cidVersion: 0 }, cid: 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o', chunks: 1 },
  { name: '"Hello Worlds!\\n"', source: KUBO_T0040, input: text('Hello Worlds!\n'), options: { cidVersion: 0 }, cid: 'QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH', chunks: 1 },
  { name: '"Helloo Worlds!\\n"', source: KUBO_T0040, input: text('Helloo Worlds!\n'), options: { cidVersion: 0 }, cid: 'Qmf35k66MZNW2GijohUmXQEWKZU4cCGTCwK6idfnt152wJ', chunks: 1 },
  { name: '"IPFS\\n" (--stdin-name)', source: KUBO_T0040, input: text('IPFS\n'), options: { cidVersion: 0 }, cid: 'QmdFyxZXsFiP4csgfM5uPu99AvFiKH62CSPDw5TP92nr7w', chunks: 1 },
  { name: 'empty file, plain ipfs add', source: KUBO_T0040, input: () => new Uint8Array(0), options: { cidVersion: 0 }, cid: 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH', chunks: 1 },
  { name: 'empty file, --raw-leaves', source: KUBO_T0040, input: () => new Uint8Array(0), options: { cidVersion: 1 }, cid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku', chunks: 1 },
  { name: '"hello world" CIDv0', source: KUBO_ADD, input: text('hello world'), options: { cidVersion: 0 }, cid: 'Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD', chunks: 1 },
  { name: '"hello world" CIDv1 raw', source: KUBO_ADD, input: text('hello world'), options: { cidVersion: 1 }, cid: 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e', chunks: 1 },
  { name: '262144 bytes (one full chunk), seed "chunk-v0-seed"', source: JS_IPIP499, input: async () => await kuboDeterministicBytes(262_144, 'chunk-v0-seed'), options: { cidVersion: 0 }, cid: 'QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE', chunks: 1 },
  { name: '262145 bytes (two chunks), seed "chunk-v0-seed"', source: JS_IPIP499, input: async () => await kuboDeterministicBytes(262_145, 'chunk-v0-seed'), options: { cidVersion: 0 }, cid: 'QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ', chunks: 2 },
  { name: '1 MiB raw leaf, 1 MiB chunks, seed "chunk-v1-seed"', source: JS_IPIP499 + ' (unixfs-v1-2025)', input: async () => await kuboDeterministicBytes(1_048_576, 'chunk-v1-seed'), options: { cidVersion: 1, chunkSize: 1_048_576 }, cid: 'bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta', chunks: 1 },
  { name: '1 MiB + 1 byte, CIDv1 raw leaves, 1 MiB chunks', source: JS_IPIP499 + ' (unixfs-v1-2025)', input: async () => await kuboDeterministicBytes(1_048_577, 'chunk-v1-seed'), options: { cidVersion: 1, chunkSize: 1_048_576 }, cid: 'bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64', chunks: 2 },
  { name: '174 x 256 KiB (root at max links)', source: KUBO_PROFILES + ', FileAtMaxLinksCID', input: () => kuboDeterministic(174 * 262_144, 'v0-seed'), options: { cidVersion: 0 }, cid: 'QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2', chunks: 174 },
  { name: '175 x 256 KiB (two levels)', source: KUBO_PROFILES + ', FileOverMaxLinksCID', input: () => kuboDeterministic(175 * 262_144, 'v0-seed'), options: { cidVersion: 0 }, cid: 'QmepeWtdmS1hHXx1oZXsPUv6bMrfRRKfZcoPPU4eEfjnbf', chunks: 175 },
  { name: '174 x 256 KiB + 1 byte (two levels)', source: JS_IPIP499, input: () => kuboDeterministic(174 * 262_144 + 1, 'v0-seed'), options: { cidVersion: 0 }, cid: 'QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW', chunks: 175 },
  { name: '45,900,000 zero bytes (176 chunks, two levels)', source: 'ipfs/js-ipfs-unixfs packages/ipfs-unixfs-importer/test/hash-parity-with-go-ipfs.spec.ts, "balanced" (its finite-pseudorandom-byte-stream masks every byte with 256 & x, so the content is all zeros)', input: () => zeros(45_900_000), options: { cidVersion: 0 }, cid: 'QmRdPboiJQoZ5cdazR9a8vGqdJvWg6M5bfdtUSKNHpuscj', chunks: 176 }
]

describe('published ipfs add vectors', () => {
  for (const vector of vectors) {
    it(`${vector.name} → ${vector.cid}`, async () => {
      const manifest = await buildManifest(await vector.input(), vector.options)
      expect(manifest.root.toString()).toBe(vector.cid)
      expect(manifest.chunkCount).toBe(vector.chunks)
    })
  }

  for (const vector of vectors) {
    it(`${vector.name} with a SHA-256 verifier`, async () => {
      const verifier = testSha256Verifier()
      const manifest = await buildManifest(await vector.input(), { ...vector.options, verifier })
      expect(manifest.root.toString()).toBe(vector.cid)
      expect(verifier.calls.digestMany).toBeGreaterThan(0)
    })
  }

  it('a CIDv0 upgraded to base32 is what ipfs add --cid-base=base32 prints ("base32 test\\n", ' + KUBO_T0040 + ')', async () => {
    const id = await computeContentId(new TextEncoder().encode('base32 test\n'), { cidVersion: 0 })
    expect(id.cid.toV1().toString()).toBe('bafybeibyosqxljd2eptb4ebbtvk7pb4aoxzqa6ttdsflty6rsslz5y6i34')
  })
})
