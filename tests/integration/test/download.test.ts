import { afterEach, describe, expect, it } from 'vitest'
import { ContentId, NoProvidersError, computeContentId, type ChunkDistributor } from '@codio-chunk/core'
import { sequential } from '@codio-chunk/strategy-sequential'
import { randomOrder } from '@codio-chunk/strategy-random'
import { equalBytes, randomContent, startNode, stopAll, type NodeOptions } from './swarm-helpers.js'
import { TRANSPORTS } from './transports.js'

const nodes: ChunkDistributor[] = []
afterEach(async () => { await stopAll(nodes) })

describe.each(TRANSPORTS)('downloading over %s', (_name, transport) => {
  const start = async (options: NodeOptions = {}): Promise<ChunkDistributor> => await startNode({ ...options, transport })

  it('downloads from several peers in parallel and gets identical bytes', async () => {
    const content = randomContent(3 * 1024 * 1024 + 12345)
    const seeders = await Promise.all([0, 1, 2].map(async () => await start({ config: { chunkSize: 64 * 1024 } })))
    nodes.push(...seeders)
    const cids = await Promise.all(seeders.map(async s => await s.storeContent(content)))
    expect(new Set(cids.map(c => c.toString())).size).toBe(1)
    const leecher = await start({ config: { chunkSize: 64 * 1024 } })
    nodes.push(leecher)
    const served = new Map<string, number>()
    for (const s of seeders) s.events.on('chunk:served', ({ peerId }) => { served.set(s.peerId, (served.get(s.peerId) ?? 0) + 1); expect(peerId).toBe(leecher.peerId) })
    const got = await leecher.downloadContent(cids[0], seeders.flatMap(s => s.addresses))
    expect(equalBytes(got, content)).toBe(true)
    // Every seeder took part in the download.
    expect(served.size).toBe(3)
    for (const count of served.values()) expect(count).toBeGreaterThan(0)
    const total = [...served.values()].reduce((a, b) => a + b, 0)
    expect(total).toBeGreaterThanOrEqual(Math.ceil(content.length / (64 * 1024)))
  })

  it('works with every strategy', async () => {
    const content = randomContent(700 * 1024)
    const seeder = await start({ config: { chunkSize: 32 * 1024 } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(content)
    for (const strategy of [sequential(), randomOrder()]) {
      const leecher = await start({ strategy, listen: false })
      nodes.push(leecher)
      expect(equalBytes(await leecher.downloadContent(cid, seeder.addresses), content)).toBe(true)
    }
  })

  it('moves a sequential download to a new playback position', async () => {
    const content = randomContent(64 * 16 * 1024)
    const seeder = await start({ config: { chunkSize: 16 * 1024 } })
    const leecher = await start({ listen: false, strategy: sequential(), config: { chunksPerPeer: 1 } })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(content)
    expect(leecher.setPosition(cid, 40)).toBe(false)
    const order: number[] = []
    leecher.events.on('chunk:verified', ({ index }) => {
      order.push(index)
      if (index === 5) expect(leecher.setPosition(cid, 40)).toBe(true)
    })
    const got = await leecher.downloadContent(cid, seeder.addresses)
    expect(equalBytes(got, content)).toBe(true)
    expect(order.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5])
    expect(order.indexOf(40)).toBeLessThan(order.indexOf(20))
    expect(() => leecher.setPosition(cid.toString(), 0)).not.toThrow()
  })

  it('survives a strategy plugin that throws or picks nonsense', async () => {
    const content = randomContent(300 * 1024)
    const seeder = await start({ config: { chunkSize: 16 * 1024 } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(content)
    let calls = 0
    const broken = { name: 'broken', pick: () => { calls++; if (calls % 2 === 0) throw new Error('bug'); return 1_000_000 } }
    const leecher = await start({ listen: false, strategy: broken })
    nodes.push(leecher)
    expect(equalBytes(await leecher.downloadContent(cid, seeder.addresses), content)).toBe(true)
    expect(calls).toBeGreaterThan(0)
    // The seeder's connection was never blamed for it.
    expect(leecher.peerStats().map(p => p.peerId)).toContain(seeder.peerId)
  })

  it('gives `ipfs add` CIDs and downloads CIDv0 content', async () => {
    const hello = new TextEncoder().encode('hello world\n')
    const seeder = await start({ config: { cidVersion: 0 } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(hello)
    expect(cid.toString()).toBe('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
    const big = randomContent(600 * 1024)
    const bigCid = await seeder.storeContent(big, { chunkSize: 16 * 1024 })
    expect(bigCid.toString().startsWith('Qm')).toBe(true)
    const leecher = await start({ listen: false })
    nodes.push(leecher)
    expect(new TextDecoder().decode(await leecher.downloadContent(cid.toString(), seeder.addresses))).toBe('hello world\n')
    expect(equalBytes(await leecher.downloadContent(bigCid, seeder.addresses), big)).toBe(true)
  })

  it('downloads empty content and single-chunk content', async () => {
    const seeder = await start()
    nodes.push(seeder)
    const empty = await seeder.storeContent(new Uint8Array(0))
    const small = randomContent(1000)
    const one = await seeder.storeContent(small)
    const leecher = await start({ listen: false })
    nodes.push(leecher)
    expect((await leecher.downloadContent(empty, seeder.addresses)).length).toBe(0)
    expect(equalBytes(await leecher.downloadContent(one, seeder.addresses), small)).toBe(true)
  })

  it('checks storeContent(cid, bytes) against the CID', async () => {
    const node = await start({ listen: false })
    nodes.push(node)
    const bytes = randomContent(5000)
    const cid = await computeContentId(bytes)
    expect((await node.storeContent(cid, bytes)).equals(cid)).toBe(true)
    await expect(node.storeContent(cid, randomContent(5000))).rejects.toThrow(/hash to/)
  })

  it('fails clearly when no provider is reachable', async () => {
    const leecher = await start({ listen: false, config: { dialTimeout: 2000 } })
    nodes.push(leecher)
    const cid = await computeContentId(randomContent(100))
    const closed = await start()
    const address = closed.addresses[0]
    await closed.stop()
    await expect(leecher.download(cid, [address])).rejects.toBeInstanceOf(NoProvidersError)
    await expect(leecher.download(cid, [])).rejects.toBeInstanceOf(NoProvidersError)
    await expect(leecher.download('not-a-cid', [address])).rejects.toThrow(/not a CID|CID/)
    await expect(leecher.download(cid, ['ftp://127.0.0.1:21'])).rejects.toThrow(/transport/)
  })

  it('fails clearly when the providers do not have the content', async () => {
    const seeder = await start()
    const leecher = await start({ listen: false })
    nodes.push(seeder, leecher)
    const cid = await computeContentId(randomContent(100))
    await expect(leecher.download(cid, seeder.addresses)).rejects.toBeInstanceOf(NoProvidersError)
  })

  it('reports progress while downloading and streams the result', async () => {
    const content = randomContent(2 * 1024 * 1024)
    const seeder = await start({ config: { chunkSize: 64 * 1024 } })
    const leecher = await start({ listen: false })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(content)
    const seen: number[] = []
    leecher.events.on('chunk:verified', () => {
      const p = leecher.downloadProgress(cid)
      if (p !== undefined) {
        expect(p.totalBytes).toBe(content.length)
        expect(p.peers).toBe(1)
        seen.push(p.downloadedBytes)
      }
    })
    await leecher.download(cid, seeder.addresses)
    expect(seen.length).toBe(32)
    expect(seen[seen.length - 1]).toBe(content.length)
    expect(leecher.downloadProgress(cid)).toBeUndefined()
    const parts: Uint8Array[] = []
    for await (const part of leecher.readContent(cid)) parts.push(part)
    expect(equalBytes(Buffer.concat(parts), content)).toBe(true)
  })
})
