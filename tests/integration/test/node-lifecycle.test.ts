import { afterEach, describe, expect, it } from 'vitest'
import { ChunkConfig, ChunkDistributor, InvalidAddressError, InvalidConfigError, NodeStoppedError, memoryStorage } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { equalBytes, randomContent, startNode, stopAll } from './swarm-helpers.js'

const nodes: ChunkDistributor[] = []
afterEach(async () => { await stopAll(nodes) })

describe('creating and stopping a node', () => {
  it('uses rarest-first and the spec defaults when given ChunkConfig.default()', async () => {
    const node = await ChunkDistributor.create(ChunkConfig.default(), {
      transports: [tcpTransport()], verifier: sha256Verifier(), listen: ['tcp://127.0.0.1:0']
    })
    nodes.push(node)
    expect(node.peerId).toMatch(/^12D3KooW/)
    expect(node.addresses[0]).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/)
    expect(node.config.chunksPerPeer).toBe(4)
  })

  it('refuses missing plugins and addresses no transport handles', async () => {
    await expect(ChunkDistributor.create(ChunkConfig.default(), { transports: [], verifier: sha256Verifier() })).rejects.toBeInstanceOf(InvalidConfigError)
    await expect(ChunkDistributor.create(ChunkConfig.default(), { transports: [tcpTransport()], verifier: [] })).rejects.toThrow(/verifier/)
    await expect(ChunkDistributor.create(ChunkConfig.default(), { transports: [tcpTransport()], verifier: sha256Verifier(), listen: ['quic://127.0.0.1:0'] })).rejects.toBeInstanceOf(InvalidAddressError)
    await expect(ChunkDistributor.create(ChunkConfig.default(), { transports: [tcpTransport()], verifier: sha256Verifier(), listen: ['127.0.0.1:4001'] })).rejects.toBeInstanceOf(InvalidAddressError)
  })

  it('says clearly when the port is in use', async () => {
    const first = await startNode()
    nodes.push(first)
    await expect(ChunkDistributor.create(ChunkConfig.default(), {
      transports: [tcpTransport()], verifier: sha256Verifier(), listen: [first.addresses[0]]
    })).rejects.toThrow(/in use/)
  })

  it('rejects running downloads and later calls once stopped', async () => {
    const content = randomContent(64 * 16 * 1024)
    const seeder = await startNode({ config: { chunkSize: 16 * 1024 } })
    const leecher = await startNode({ listen: false })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(content)
    let stopping: Promise<void> | undefined
    leecher.events.on('chunk:verified', () => { stopping ??= leecher.stop() })
    await expect(leecher.download(cid, seeder.addresses)).rejects.toBeInstanceOf(NodeStoppedError)
    await stopping
    await expect(leecher.download(cid, seeder.addresses)).rejects.toBeInstanceOf(NodeStoppedError)
    await expect(leecher.storeContent(content)).rejects.toBeInstanceOf(NodeStoppedError)
  })

  it('stops promptly when stopped while a manifest is being stored', async () => {
    const seeder = await startNode({ config: { chunkSize: 16 * 1024 } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(randomContent(8 * 16 * 1024))
    const inner = memoryStorage()()
    let stopping: Promise<void> | undefined
    const storage = Object.assign(Object.create(inner) as typeof inner, {
      async putManifest (...args: Parameters<typeof inner.putManifest>) {
        stopping = leecher.stop()
        await inner.putManifest(...args)
      }
    })
    const leecher: ChunkDistributor = await startNode({ listen: false, storage })
    await expect(leecher.download(cid, seeder.addresses)).rejects.toBeInstanceOf(NodeStoppedError)
    await stopping
  })

  it('runs at most maxConcurrentDownloads at once and queues the rest', async () => {
    const seeder = await startNode({ config: { chunkSize: 16 * 1024 } })
    const leecher = await startNode({ listen: false, config: { maxConcurrentDownloads: 1 } })
    nodes.push(seeder, leecher)
    const contents = [randomContent(40 * 16 * 1024), randomContent(40 * 16 * 1024)]
    const cids = await Promise.all(contents.map(async c => await seeder.storeContent(c)))
    let running = 0
    let most = 0
    leecher.events.on('chunk:verified', ({ cid }) => {
      running = cids.filter(c => leecher.downloadProgress(c) !== undefined).length
      most = Math.max(most, running)
      expect(cid).toBeDefined()
    })
    const got = await Promise.all(cids.map(async c => await leecher.downloadContent(c, seeder.addresses)))
    expect(most).toBe(1)
    got.forEach((bytes, i) => expect(equalBytes(bytes, contents[i])).toBe(true))
  })

  it('shares one download between callers asking for the same content', async () => {
    const content = randomContent(32 * 16 * 1024)
    const seeder = await startNode({ config: { chunkSize: 16 * 1024 } })
    const leecher = await startNode({ listen: false, storage: memoryStorage()() })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(content)
    let verified = 0
    leecher.events.on('chunk:verified', () => { verified++ })
    const [a, b] = await Promise.all([leecher.downloadContent(cid, seeder.addresses), leecher.downloadContent(cid.toString(), seeder.addresses)])
    expect(equalBytes(a, content) && equalBytes(b, content)).toBe(true)
    expect(verified).toBe(32)
  })
})

describe('removing a content from a running node', () => {
  it('deletes it from storage, stops serving it, and reports whether anything was held', async () => {
    const content = randomContent(8 * 16 * 1024 + 5)
    const seeder = await startNode({ config: { chunkSize: 16 * 1024 } })
    const leecher = await startNode({ listen: false })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(content)
    expect((await seeder.listContent()).map(String)).toEqual([cid.toString()])
    expect(await seeder.removeContent(cid)).toBe(true)
    expect(await seeder.listContent()).toEqual([])
    expect(await seeder.removeContent(cid)).toBe(false)
    // A peer asking for it now finds nothing to download.
    await expect(leecher.download(cid, [seeder.addresses[0]], { signal: AbortSignal.timeout(10_000) })).rejects.toThrow()
    expect(await leecher.listContent()).toEqual([])
  })

  it('aborts the download of the content it removes', async () => {
    const content = randomContent(64 * 16 * 1024)
    const seeder = await startNode({ config: { chunkSize: 16 * 1024 } })
    const leecher = await startNode({ listen: false })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(content)
    const running = leecher.download(cid, [seeder.addresses[0]], { signal: AbortSignal.timeout(10_000) })
    await new Promise<void>(resolve => { leecher.events.once('chunk:verified', () => { resolve() }) })
    await leecher.removeContent(cid)
    await expect(running).rejects.toThrow(/removed/)
    expect(await leecher.listContent()).toEqual([])
  })
})
