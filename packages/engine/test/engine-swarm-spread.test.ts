import { describe, expect, it } from 'vitest'
import { buildManifest } from '@codio-chunk/content'
import { Bitfield } from '@codio-chunk/interface'
import { ContentSwarm } from '../src/swarm/swarm.js'
import type { SwarmDownload } from '../src/swarm/swarm.js'

async function swarmOf (chunks: number): Promise<ContentSwarm> {
  const manifest = await buildManifest(new Uint8Array(chunks * 1024).map((_, i) => i % 251), { chunkSize: 1024 })
  return new ContentSwarm(manifest, Bitfield.full(chunks))
}

describe('ContentSwarm.spread', () => {
  it('counts sends while nothing downloads, saturating, and ignores indices out of range', async () => {
    const swarm = await swarmOf(4)
    expect(swarm.spread(2)).toBe(0)
    swarm.countSent(2)
    swarm.countSent(2)
    expect(swarm.spread(2)).toBe(2)
    expect(swarm.spread(1)).toBe(0)
    for (let i = 0; i < 300; i++) swarm.countSent(3)
    expect(swarm.spread(3)).toBe(255)
    swarm.countSent(4)
    swarm.countSent(-1)
    expect(swarm.spread(4)).toBe(0)
    expect(swarm.spread(-1)).toBe(0)
  })

  it('is the number of peers that have the chunk while a download runs', async () => {
    const swarm = await swarmOf(4)
    swarm.countSent(0)
    const download = { done: false, availabilityOf: (i: number) => i === 0 ? 5 : 1 } as unknown as SwarmDownload
    swarm.download = download
    expect(swarm.spread(0)).toBe(5)
    expect(swarm.spread(1)).toBe(1)
    swarm.download = { ...download, done: true }
    expect(swarm.spread(0)).toBe(1) // sends count again once the download is over
  })
})
