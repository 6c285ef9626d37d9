// Nodes that know only a tracker's URL: the seeder announces what it holds, the downloader is given
// a CID and nothing else, finds the seeder through a real bittorrent-tracker server on loopback
// (HTTP and UDP), and fetches the content byte-identical.
import type { AddressInfo } from 'node:net'
import { Server } from 'bittorrent-tracker'
import { afterEach, describe, expect, it } from 'vitest'
import { trackerDiscovery } from '@codio-chunk/discovery-tracker'
import type { ChunkDistributor } from '@codio-chunk/core'
import { equalBytes, randomContent, startNode, stopAll } from './swarm-helpers.js'

const nodes: ChunkDistributor[] = []
const servers: Server[] = []
afterEach(async () => {
  await stopAll(nodes)
  await Promise.all(servers.splice(0).map(async s => { await new Promise<void>(resolve => { s.close(() => { resolve() }) }) }))
})

async function startTracker (): Promise<{ http: string, udp: string }> {
  const server = new Server({ http: true, udp: true, ws: false, stats: false })
  server.on('warning', () => {})
  servers.push(server)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('the tracker did not start within 10 s')) }, 10_000)
    server.once('error', reject)
    server.listen({ http: 0, udp: 0 }, { http: '127.0.0.1', udp: '127.0.0.1', udp6: '::1' }, () => { clearTimeout(timer); resolve() })
  })
  return {
    http: `http://127.0.0.1:${(server.http?.address() as AddressInfo).port}/announce`,
    udp: `udp://127.0.0.1:${(server.udp4?.address() as AddressInfo).port}`
  }
}

describe.each(['http', 'udp'] as const)('a download that finds its seeder through a %s tracker', (kind) => {
  it('is given only the CID and gets the content byte-identical', async () => {
    const tracker = await startTracker()
    const announce = [tracker[kind]]
    const seeder = await startNode({ discovery: [trackerDiscovery({ announce })], config: { chunkSize: 64 * 1024 } })
    const downloader = await startNode({ discovery: [trackerDiscovery({ announce })] })
    nodes.push(seeder, downloader)
    const content = randomContent(3 * 1024 * 1024 + 17)
    const cid = await seeder.storeContent(content)
    await seeder.announced()

    const copy = await downloader.downloadContent(cid)

    expect(equalBytes(copy, content)).toBe(true)
    expect(downloader.peerStats().map(p => p.peerId)).toContain(seeder.peerId)
  })
})
