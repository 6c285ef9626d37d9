import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { fsStorage } from '@codio-chunk/storage-fs'
import type { ChunkDistributor } from '@codio-chunk/core'
import { startNode, stopAll } from './swarm-helpers.js'
import { TRANSPORTS } from './transports.js'

const nodes: ChunkDistributor[] = []
const dirs: string[] = []
afterEach(async () => {
  await stopAll(nodes)
  await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
})

const MiB = 1024 * 1024
const SIZE = 64 * MiB

describe.each(TRANSPORTS)('large content through storage-fs over %s', (_name, transport) => {
  it('moves 64 MiB from disk to disk, from three peers, with memory well below the content size', async () => {
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

    const seeders = await Promise.all([0, 1, 2].map(async (i) => await startNode({ storage: fsStorage({ dir: join(dir, `seeder-${i}`) }), transport })))
    const leecher = await startNode({ storage: fsStorage({ dir: join(dir, 'leecher') }), listen: false, transport })
    nodes.push(...seeders, leecher)
    const served = new Map<string, number>()
    for (const s of seeders) s.events.on('chunk:served', () => { served.set(s.peerId, (served.get(s.peerId) ?? 0) + 1) })

    global.gc?.()
    const baseline = process.memoryUsage().rss
    let peak = baseline
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 20)
    try {
      const cids = await Promise.all(seeders.map(async s => await s.importContent(() => createReadStream(file, { highWaterMark: MiB }))))
      const cid = cids[0]
      await leecher.download(cid, seeders.flatMap(s => s.addresses))
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
    } finally {
      clearInterval(sampler)
    }
    // Generous bound: the content is 64 MiB; the process may grow by buffers in flight (and the
    // transport's fixed working set), not by the content.
    expect(peak - baseline).toBeLessThan(SIZE * 0.6 + transport.workingSet)
  })
})
