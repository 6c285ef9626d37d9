import { afterEach, describe, expect, it } from 'vitest'
import { buildManifest, memoryStorage, type ChunkDistributor } from '@codio-chunk/core'
import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
import { sequential } from '@codio-chunk/strategy-sequential'
import { equalBytes, randomContent, startNode, stopAll } from './swarm-helpers.js'

const nodes: ChunkDistributor[] = []
afterEach(async () => { await stopAll(nodes) })

const CHUNK = 16 * 1024
const CHUNKS = 64
const RARE = 16 // chunks 48..63 are held by one peer only

/** A node holding only the chunks `keep` of the content. */
async function partialHolder (content: Uint8Array, keep: (index: number) => boolean): Promise<ChunkDistributor> {
  const storage = memoryStorage()()
  const manifest = await buildManifest(content, { chunkSize: CHUNK })
  await storage.putManifest(manifest)
  for (let i = 0; i < manifest.chunkCount; i++) {
    if (keep(i)) await storage.putChunk(manifest.root, i, content.subarray(manifest.chunkOffset(i), manifest.chunkOffset(i) + manifest.chunkLength(i)))
  }
  return await startNode({ storage })
}

/** Downloads from one full seeder and two partial holders; returns the order of chunks fetched from the seeder. */
async function orderFromSeeder (strategy: ReturnType<typeof rarestFirst>): Promise<number[]> {
  const content = randomContent(CHUNKS * CHUNK)
  const seeder = await startNode({ config: { chunkSize: CHUNK } })
  nodes.push(seeder)
  const cid = await seeder.storeContent(content)
  const common = (i: number): boolean => i < CHUNKS - RARE
  nodes.push(await partialHolder(content, common), await partialHolder(content, common))
  const leecher = await startNode({ listen: false, strategy, config: { chunksPerPeer: 2 } })
  nodes.push(leecher)
  // Connect the partial holders first so their chunk maps are known when the seeder is asked.
  for (const holder of nodes.slice(1, 3)) await leecher.connect(holder.addresses[0])
  const order: number[] = []
  leecher.events.on('chunk:verified', ({ index, peerId }) => { if (peerId === seeder.peerId) order.push(index) })
  const got = await leecher.downloadContent(cid, [...seeder.addresses, ...nodes[1].addresses, ...nodes[2].addresses])
  expect(equalBytes(got, content)).toBe(true)
  return order
}

describe('rarest-first over a real swarm', () => {
  it('fetches the chunks only one peer has first', async () => {
    const order = await orderFromSeeder(rarestFirst({ randomFirst: 0 }))
    // Requests issued before every chunk map arrived may be arbitrary: allow one pipeline's worth.
    const firstRare = order.slice(0, RARE).filter(i => i >= CHUNKS - RARE).length
    expect(firstRare).toBeGreaterThanOrEqual(RARE - 2)
  })

  it('differs from sequential order, which takes the seeder\'s chunks from the start', async () => {
    const order = await orderFromSeeder(sequential())
    const firstRare = order.slice(0, RARE).filter(i => i >= CHUNKS - RARE).length
    expect(firstRare).toBeLessThan(RARE - 2)
  })
})
