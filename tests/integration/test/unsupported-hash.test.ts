// A node refuses content hashed with an algorithm it has no verifier for, with UnsupportedHashError,
// both when the content id itself says so and when only the chunks (learned from the manifest) do.
import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { ChunkConfig, ChunkDistributor, ContentId, Manifest, UnsupportedHashError, memoryStorage, type Storage, type Verifier } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { blake3Verifier } from '@codio-chunk/verifier-blake3'
import { equalBytes, randomContent, stopAll, storedBytes } from './swarm-helpers.js'

const CHUNK = 16 * 1024
const nodes: ChunkDistributor[] = []
afterEach(async () => { await stopAll(nodes) })

async function start (verifier: Verifier | Verifier[], storage: Storage = memoryStorage()()): Promise<ChunkDistributor> {
  const node = await ChunkDistributor.create(ChunkConfig.from({ strategy: rarestFirst(), chunkSize: CHUNK }), {
    transports: [tcpTransport()],
    verifier,
    storage: () => storage,
    listen: ['tcp://127.0.0.1:0']
  })
  nodes.push(node)
  return node
}

describe('content hashed with BLAKE3', () => {
  it('is refused by a node with only SHA-256, and downloaded by one with both', async () => {
    const content = randomContent(5 * CHUNK + 100)
    const seeder = await start(blake3Verifier())
    const cid = await seeder.storeContent(content)
    expect(cid.cid.multihash.code).toBe(0x1e)

    const shaOnly = await start(sha256Verifier())
    const refused = shaOnly.download(cid, seeder.addresses)
    await expect(refused).rejects.toBeInstanceOf(UnsupportedHashError)
    await expect(refused).rejects.toThrow(/multihash code 0x1e.*configured: sha2-256.*add a verifier plugin/)

    const both = await start([sha256Verifier(), blake3Verifier()])
    expect(equalBytes(await both.downloadContent(cid, seeder.addresses), content)).toBe(true)
  })

  it('is refused when only its chunks are BLAKE3, after the manifest names them', async () => {
    // A SHA-256 root node over BLAKE3 leaves: the root bytes of a BLAKE3 content, addressed by SHA-256.
    const content = randomContent(4 * CHUNK + 7)
    const blake3Storage = memoryStorage()()
    const publisher = await start(blake3Verifier(), blake3Storage)
    const blake3Root = await publisher.storeContent(content)
    const original = await blake3Storage.getManifest(blake3Root)
    if (original === undefined) throw new Error('the publisher stored no manifest')
    const rootBytes = original.blocks[0].bytes
    const digest = createHash('sha256').update(rootBytes).digest()
    const root = ContentId.fromBytes(Uint8Array.from([0x01, 0x70, 0x12, 0x20, ...digest])).cid
    const chunks = Array.from({ length: original.chunkCount }, (_, i) => original.chunkCid(i))
    const mixed = new Manifest({ root, chunks, sizes: chunks.map((_, i) => original.chunkLength(i)), blocks: [{ cid: root, bytes: rootBytes }] })
    const storage = memoryStorage()()
    await storage.putManifest(mixed)
    for (let i = 0; i < mixed.chunkCount; i++) {
      await storage.putChunk(mixed.root, i, content.subarray(mixed.chunkOffset(i), mixed.chunkOffset(i) + mixed.chunkLength(i)))
    }
    const seeder = await start(sha256Verifier(), storage)

    const shaOnly = await start(sha256Verifier())
    const refused = shaOnly.download(mixed.root, seeder.addresses)
    await expect(refused).rejects.toBeInstanceOf(UnsupportedHashError)
    await expect(refused).rejects.toThrow(/0x1e/)

    const both = await start([sha256Verifier(), blake3Verifier()])
    await both.download(mixed.root, seeder.addresses)
    expect(equalBytes(await storedBytes(both, mixed.root), content)).toBe(true)
  })
})
