// Downloads that are given no addresses: the node finds providers through its discoveries, dials
// each as it is found, never lets a lookup hold up given providers, bounds what a lookup may make
// it do, and announces what it holds.
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { NoProvidersError, SEARCH_DIALS, type ChunkDistributor, type ContentId } from '@codio-chunk/core'
import { equalBytes, randomContent, startNode, stopAll, waitFor } from './swarm-helpers.js'
import { Directory, directoryDiscovery } from './discovery-doubles.js'

const nodes: ChunkDistributor[] = []
const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await stopAll(nodes)
  await Promise.allSettled(closers.splice(0).map(async close => { await close() }))
})

const CHUNK = 32 * 1024

describe('downloads that find their providers through discovery', () => {
  it('fetches a content given only its CID, and then announces it too', async () => {
    const directory = new Directory()
    const seeder = await startNode({ discovery: [directoryDiscovery(directory)], config: { chunkSize: CHUNK } })
    const downloader = await startNode({ discovery: [directoryDiscovery(directory)] })
    nodes.push(seeder, downloader)
    const content = randomContent(40 * CHUNK)
    const cid = await seeder.storeContent(content)
    await seeder.announced()
    expect(directory.provides).toEqual([`${seeder.peerId} ${cid.toString()}`])

    const copy = await downloader.downloadContent(cid)

    expect(equalBytes(copy, content)).toBe(true)
    await downloader.announced()
    expect(directory.records.get(Directory.key(cid))?.has(downloader.peerId)).toBe(true)
  })

  it('announces what storage holds when the node starts, and again before it expires', async () => {
    const directory = new Directory()
    const first = await startNode({ config: { chunkSize: CHUNK } })
    const content = randomContent(4 * CHUNK)
    const cid = await first.storeContent(content)
    // A second node on the same (already filled) storage announces it at start.
    const storage = first.storage
    const again = await startNode({ storage, discovery: [directoryDiscovery(directory, { reprovideInterval: 200 })] })
    nodes.push(first, again)
    await again.announced()
    expect(directory.provides.filter(p => p.endsWith(cid.toString())).length).toBeGreaterThanOrEqual(1)
    await waitFor(() => directory.provides.length >= 3, 5000, 're-announcements')
  })

  it('dials a provider as soon as it is found, without waiting for the lookup to end', async () => {
    const directory = new Directory()
    const seeder = await startNode({ discovery: [directoryDiscovery(directory)], config: { chunkSize: CHUNK } })
    const downloader = await startNode({ discovery: [directoryDiscovery(directory, { hang: true })] })
    nodes.push(seeder, downloader)
    const content = randomContent(8 * CHUNK)
    const cid = await seeder.storeContent(content)
    await seeder.announced()
    expect(equalBytes(await downloader.downloadContent(cid), content)).toBe(true)
  })

  it('never lets a lookup that hangs hold up a download given its providers', async () => {
    const seeder = await startNode({ config: { chunkSize: CHUNK } })
    const downloader = await startNode({ discovery: [directoryDiscovery(new Directory(), { hang: true })] })
    nodes.push(seeder, downloader)
    const content = randomContent(8 * CHUNK)
    const cid = await seeder.storeContent(content)
    expect(equalBytes(await downloader.downloadContent(cid, seeder.addresses), content)).toBe(true)
  })

  it('takes a thousand bogus records with bounded dials and still finds the real provider', async () => {
    const directory = new Directory()
    const seeder = await startNode({ discovery: [directoryDiscovery(directory)], config: { chunkSize: CHUNK } })
    const empty = await startNode({ config: { chunkSize: CHUNK } })
    nodes.push(seeder, empty)
    const content = randomContent(8 * CHUNK)
    const cid = await seeder.storeContent(content)
    await seeder.announced()
    // Tarpits: accept a connection and never say hello, so each dial to one lasts a dial timeout.
    let accepted = 0
    const sockets = new Set<Socket>()
    const tarpits = await Promise.all(Array.from({ length: 24 }, async (_, i) => {
      const server = createServer((socket) => {
        accepted++
        sockets.add(socket)
        socket.resume() // read (and drop) the hello, so the dialler's FIN is seen when it gives up
        socket.on('error', () => {})
        socket.on('close', () => { sockets.delete(socket) })
      })
      await new Promise<void>(resolve => server.listen(0, `127.0.0.${i + 2}`, resolve))
      return server
    }))
    closers.push(async () => {
      for (const socket of sockets) socket.destroy()
      await Promise.all(tarpits.map(async s => { await new Promise(resolve => s.close(resolve)) }))
    })
    const bogus = function * (): Iterable<unknown> {
      for (let i = 0; i < 800; i++) yield [null, 7, 'tcp://x', { addresses: 'tcp://x' }, { addresses: [3, {}] }, { addresses: ['x'.repeat(100_000)] }][i % 6]
      for (let i = 0; i < 150; i++) yield i % 2 === 0 ? { addresses: [`tcp://127.0.0.1:${1 + i}`] } : { peerId: 'not-a-peer', addresses: [`ftp://host/${i}`] }
      for (const server of tarpits) {
        const { address, port } = server.address() as AddressInfo
        yield { addresses: [`tcp://${address}:${port}`] }
      }
      yield { addresses: empty.addresses } // a peer that does not have the content
    }
    const downloader = await startNode({ discovery: [directoryDiscovery(directory, { before: bogus })], config: { dialTimeout: 1000 } })
    nodes.push(downloader)

    let mostDialing = 0
    const sampler = setInterval(() => { mostDialing = Math.max(mostDialing, downloader.downloadProgress(cid)?.discovery?.dialing ?? 0) }, 2)
    const copy = await downloader.downloadContent(cid).finally(() => { clearInterval(sampler) })

    expect(equalBytes(copy, content)).toBe(true)
    expect(mostDialing).toBeGreaterThan(0)
    expect(mostDialing).toBeLessThanOrEqual(SEARCH_DIALS)
    // Each tarpit was dialled once, however many lookups ran: no redial storm.
    expect(accepted).toBeLessThanOrEqual(tarpits.length)
  })

  it('fails with NoProvidersError saying what the lookups found when nobody has the content', async () => {
    const downloader = await startNode({ discovery: [directoryDiscovery(new Directory())] })
    nodes.push(downloader)
    const other = await startNode()
    nodes.push(other)
    const cid: ContentId = await other.storeContent(randomContent(1000))
    const started = Date.now()
    const error = await downloader.download(cid).catch((err: Error) => err)
    expect(error).toBeInstanceOf(NoProvidersError)
    expect((error as Error).message).toMatch(/3 lookup\(s\) found 0 provider record/)
    expect(Date.now() - started).toBeLessThan(15_000)
  })
})
