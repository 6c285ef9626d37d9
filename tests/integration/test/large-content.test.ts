import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { fsStorage } from '@codio-chunk/storage-fs'
import { ChunkBufferPool, type ChunkDistributor } from '@codio-chunk/core'
import { startNode, stopAll } from './swarm-helpers.js'
import { TRANSPORTS } from './transports.js'

const nodes: ChunkDistributor[] = []
const dirs: string[] = []
afterEach(async () => {
  await stopAll(nodes)
  await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
})

const MiB = 1024 * 1024
/** The chunk buffer pool the test's nodes share, kept small so that its free buffers do not count. */
const POOL_BYTES = 4 * MiB
/**
 * External memory (chunk buffers) a download may hold whatever the content's size: up to 32 MiB of
 * chunks waiting to be verified and written (the engine's intake bound), the pool's free buffers,
 * and the frames in flight and file reads around them. Measured as what is still referenced after
 * a full garbage collection: socket reads and file reads nobody holds any more are garbage, and how
 * much of it V8 lets pile up before collecting depends on timing, not on the engine.
 */
const WORKING_SET = 32 * MiB + POOL_BYTES + 12 * MiB

describe.each(TRANSPORTS)('large content through storage-fs over %s', (_name, transport) => {
  // Over TCP, 128 MiB: well above the working set, so holding the content would show. The QUIC
  // transports move 64 MiB (they are slower, and their own working set is large).
  const SIZE = (transport.name === 'TCP' ? 128 : 64) * MiB
  it('moves a large content from disk to disk, from three peers, holding the engine\'s bounded working set, never the content', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codio-chunk-large-'))
    dirs.push(dir)
    // Write the source file in 1 MiB pieces, hashing as we go: the content is never whole in memory.
    const file = join(dir, 'source.bin')
    const sourceHash = createHash('sha256')
    const out = createWriteStream(file)
    for (let i = 0; i < SIZE / MiB; i++) {
      const piece = randomBytes(MiB)
      sourceHash.update(piece)
      if (!out.write(piece)) await once(out, 'drain')
    }
    out.end()
    await once(out, 'finish')

    const buffers = new ChunkBufferPool({ maxPooledBytes: POOL_BYTES })
    const seeders = await Promise.all([0, 1, 2].map(async (i) => await startNode({ storage: fsStorage({ dir: join(dir, `seeder-${i}`) }), transport, buffers })))
    const leecher = await startNode({ storage: fsStorage({ dir: join(dir, 'leecher') }), listen: false, transport, buffers })
    nodes.push(...seeders, leecher)
    const served = new Map<string, number>()
    for (const s of seeders) s.events.on('chunk:served', () => { served.set(s.peerId, (served.get(s.peerId) ?? 0) + 1) })

    const cids = await Promise.all(seeders.map(async s => await s.importContent(() => createReadStream(file, { highWaterMark: MiB }))))
    const cid = cids[0]
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    gc()
    const baseline = process.memoryUsage()
    let peakRss = baseline.rss
    let peakExternal = baseline.arrayBuffers
    let samples = 0
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss)
      gc()
      peakExternal = Math.max(peakExternal, process.memoryUsage().arrayBuffers)
      samples++
    }, 50)
    try {
      await leecher.download(cid, seeders.flatMap(s => s.addresses))
    } finally {
      clearInterval(sampler)
    }
    const downloadedHash = createHash('sha256')
    let bytes = 0
    for await (const part of leecher.readContent(cid)) {
      downloadedHash.update(part)
      bytes += part.length
    }
    expect(bytes).toBe(SIZE)
    expect(downloadedHash.digest('hex')).toBe(sourceHash.digest('hex'))
    // Every seeder took part.
    expect(served.size).toBe(3)
    expect(samples).toBeGreaterThan(0)
    // Chunk buffers still referenced (external memory after a collection) stay within the engine's
    // working set, below the content's size: the content is never held whole. (RSS also moves with
    // V8's heap sizing and when garbage is collected, so it gets a loose check.)
    expect(peakExternal - baseline.arrayBuffers).toBeLessThan(WORKING_SET + transport.workingSet)
    expect(peakRss - baseline.rss).toBeLessThan(SIZE + transport.workingSet)
  })
})
