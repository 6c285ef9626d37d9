import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import {
  Bitfield, NoProvidersError, PeerIdentity, RejectCode, buildManifest, encodeMessage, memoryStorage, parseAddress,
  type ChunkDistributor, type Manifest, type WireMessage
} from '@codio-chunk/core'
import { equalBytes, randomContent, startNode, stopAll, waitFor, type NodeOptions } from './swarm-helpers.js'
import { TRANSPORTS } from './transports.js'
import { stallingStorage } from './storage-doubles.js'
import { scriptedPeer, type ScriptedPeer } from './scripted-peer.js'

const nodes: ChunkDistributor[] = []
const scripted: ScriptedPeer[] = []
afterEach(async () => {
  await stopAll(nodes)
  await Promise.allSettled(scripted.splice(0).map(async p => { await p.close() }))
})

const CHUNK = 16 * 1024

/** A scripted peer that has the content's manifest and claims every chunk, then answers chunk requests with `answer`. */
async function claimingPeer (manifest: Manifest, answer: (message: WireMessage & { type: 'request-chunk' }, send: (m: WireMessage) => void) => void, options: { choke?: boolean } = {}): Promise<ScriptedPeer> {
  const peer = await scriptedPeer((message, send) => {
    if (message.type === 'bitfield') {
      send({ type: 'bitfield', content: manifest.root.cid, chunkCount: manifest.chunkCount, bits: Bitfield.full(manifest.chunkCount).toBytes() })
      send({ type: options.choke === true ? 'choke' : 'unchoke' })
    } else if (message.type === 'request-block') {
      const block = manifest.getBlock(message.block)
      if (block !== undefined) send({ type: 'data', id: message.id, bytes: block })
      else send({ type: 'reject', id: message.id, code: RejectCode.NotFound, reason: 'no' })
    } else if (message.type === 'request-chunk') {
      answer(message, send)
    }
  })
  scripted.push(peer)
  return peer
}

describe('peers that misbehave', () => {
  it('gives up on a peer that answers every request with Choked but never sends choke', async () => {
    const manifest = await buildManifest(randomContent(8 * CHUNK), { chunkSize: CHUNK })
    let rejects = 0
    const peer = await claimingPeer(manifest, (m, send) => { rejects++; send({ type: 'reject', id: m.id, code: RejectCode.Choked, reason: 'choked' }) })
    const leecher = await startNode({ listen: false, config: { requestTimeout: 200, optimisticUnchokeInterval: 100 } })
    nodes.push(leecher)
    await expect(leecher.download(manifest.root, [peer.address])).rejects.toBeInstanceOf(NoProvidersError)
    // One rejected request marks the peer as choking us: no request/reject storm.
    expect(rejects).toBeLessThanOrEqual(8)
  })

  it('waits for an unchoke from a peer that chokes, then fails once the wait is over', async () => {
    const manifest = await buildManifest(randomContent(8 * CHUNK), { chunkSize: CHUNK })
    const peer = await claimingPeer(manifest, () => {}, { choke: true })
    const leecher = await startNode({ listen: false, config: { requestTimeout: 200, optimisticUnchokeInterval: 300 } })
    nodes.push(leecher)
    await expect(leecher.download(manifest.root, [peer.address])).rejects.toBeInstanceOf(NoProvidersError)
    expect(peer.received.some(m => m.type === 'request-chunk')).toBe(false)
  })

  it('does not queue data without bound for a peer that never reads', async () => {
    const seeder = await startNode({ config: { chunkSize: 256 * 1024 } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(randomContent(1024 * 1024))
    const { host, port } = parseAddress(seeder.addresses[0])
    const socket = connect(port, host)
    socket.on('error', () => {})
    await new Promise(resolve => socket.once('connect', resolve))
    socket.pause()
    const write = (m: WireMessage): void => { for (const part of encodeMessage(m)) socket.write(part) }
    write({ type: 'hello', version: 1, peerId: PeerIdentity.generate().peerId, maxFrameSize: 8 << 20, maxRequests: 64, addresses: [], agent: 'test' })
    let most = 0
    let id = 1
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 50; i++) write({ type: 'request-chunk', id: id++, content: cid.cid, index: i % 4 })
      await new Promise(resolve => setTimeout(resolve, 10))
      for (const s of seeder.peerStats()) most = Math.max(most, s.bytesQueued)
    }
    socket.destroy()
    // 2000 requests for 256 KiB chunks (500 MiB) were made; the seeder queues about one chunk plus the socket's buffer.
    expect(most).toBeGreaterThan(0)
    expect(most).toBeLessThan(4 * 1024 * 1024)
  })

  it('drops a peer that queues endless haves behind a bitfield whose content is still loading', async () => {
    const content = randomContent(8 * CHUNK)
    const manifest = await buildManifest(content, { chunkSize: CHUNK })
    const inner = memoryStorage()()
    await inner.putManifest(manifest)
    for (let i = 0; i < manifest.chunkCount; i++) await inner.putChunk(manifest.root, i, content.subarray(i * CHUNK, (i + 1) * CHUNK))
    // Loading this content's manifest never finishes, so the bitfield waits and the haves queue behind it.
    const node = await startNode({ storage: { ...inner, name: 'slow-manifest', getManifest: async () => await new Promise(() => {}), putManifest: inner.putManifest.bind(inner), putChunk: inner.putChunk.bind(inner), getChunk: inner.getChunk.bind(inner), completed: inner.completed.bind(inner), list: inner.list.bind(inner), delete: inner.delete.bind(inner), close: inner.close.bind(inner) } })
    nodes.push(node)
    const { host, port } = parseAddress(node.addresses[0])
    const socket = connect(port, host)
    socket.on('error', () => {})
    socket.on('data', () => {})
    await new Promise(resolve => socket.once('connect', resolve))
    const closed = new Promise(resolve => socket.once('close', resolve))
    const write = (m: WireMessage): void => { for (const part of encodeMessage(m)) socket.write(part) }
    const flooder = PeerIdentity.generate().peerId
    write({ type: 'hello', version: 1, peerId: flooder, maxFrameSize: 1 << 20, maxRequests: 1, addresses: [], agent: 'test' })
    write({ type: 'bitfield', content: manifest.root.cid, chunkCount: manifest.chunkCount, bits: Bitfield.full(manifest.chunkCount).toBytes() })
    for (let i = 0; i < 5000; i++) write({ type: 'have', content: manifest.root.cid, index: i % manifest.chunkCount })
    await Promise.race([closed, new Promise((_resolve, reject) => setTimeout(() => { reject(new Error('the node kept the flooding peer')) }, 10_000))])
    expect(node.peerStats().map(s => s.peerId)).not.toContain(flooder)
  })

  it('keeps a bounded set of addresses learned from hellos and peer exchange', async () => {
    const seeder = await startNode({ config: { chunkSize: CHUNK }, storage: stallingStorage(memoryStorage()()) })
    const leecher = await startNode({ config: { requestTimeout: 60_000, maxPeersPerContent: 5 } })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(randomContent(8 * CHUNK))
    const download = leecher.download(cid, seeder.addresses).catch((err: Error) => err)
    await waitFor(() => leecher.downloadProgress(cid) !== undefined, 10_000, 'the download to start')
    const { host, port } = parseAddress(leecher.addresses[0])
    let fake = 20_000
    for (let c = 0; c < 20; c++) {
      const socket = connect(port, host)
      socket.on('error', () => {})
      socket.on('data', () => {})
      await new Promise(resolve => socket.once('connect', resolve))
      const write = (m: WireMessage): void => { for (const part of encodeMessage(m)) socket.write(part) }
      write({ type: 'hello', version: 1, peerId: PeerIdentity.generate().peerId, maxFrameSize: 1 << 20, maxRequests: 1, addresses: Array.from({ length: 32 }, () => `tcp://127.0.0.1:${fake++}`), agent: 'test' })
      write({ type: 'bitfield', content: cid.cid, chunkCount: 8, bits: new Uint8Array(1) })
      write({ type: 'peers', content: cid.cid, addresses: Array.from({ length: 32 }, () => `tcp://127.0.0.1:${fake++}`) })
      socket.end()
      await new Promise(resolve => socket.once('close', resolve))
    }
    // 1280 made-up addresses were offered; the swarm remembers at most 4 × maxPeersPerContent.
    const swarm = (leecher as unknown as { units: { swarms: { swarms: Map<string, { knownAddresses: Set<string> }> } } }).units.swarms.swarms.get(cid.toString())
    expect(swarm?.knownAddresses.size).toBeLessThanOrEqual(20)
    await leecher.stop()
    expect(await download).toBeInstanceOf(Error)
  })
})

describe.each(TRANSPORTS)('swarm edge cases over %s', (_name, transport) => {
  const start = async (options: NodeOptions = {}): Promise<ChunkDistributor> => await startNode({ ...options, transport })

  it('lets a peer that earlier said "not held" download from us later', async () => {
    const content = randomContent(8 * CHUNK)
    const seeder = await start({ config: { chunkSize: CHUNK } })
    const a = await start({ config: { chunkSize: CHUNK } })
    const b = await start({ config: { chunkSize: CHUNK } })
    nodes.push(seeder, a, b)
    const cid = await seeder.storeContent(content)
    await b.connect(a.addresses[0]) // connected before either knows the content
    await a.download(cid, seeder.addresses) // a's bitfield reaches b, which answers "not held"
    await seeder.stop()
    expect(equalBytes(await b.downloadContent(cid, a.addresses), content)).toBe(true)
  })

  it('connect() to a peer already connected the other way returns that peer', async () => {
    const x = await start()
    const y = await start()
    nodes.push(x, y)
    await x.connect(y.addresses[0])
    expect(await y.connect(x.addresses[0])).toBe(x.peerId)
    await waitFor(() => x.peerStats().length === 1 && y.peerStats().length === 1, 5000, 'one connection each')
  })

  it('finishes a download when the same content is published locally meanwhile', async () => {
    const content = randomContent(8 * CHUNK)
    const seeder = await start({ config: { chunkSize: CHUNK }, storage: stallingStorage(memoryStorage()()) })
    const leecher = await start({ listen: false, config: { chunkSize: CHUNK, requestTimeout: 60_000 } })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(content)
    const download = leecher.download(cid, seeder.addresses)
    await waitFor(() => leecher.downloadProgress(cid) !== undefined, 10_000, 'the download to start')
    await leecher.storeContent(content)
    await download
    expect(equalBytes(await leecher.downloadContent(cid, []), content)).toBe(true)
  })

  it('one caller aborting does not abort another caller of the same download', async () => {
    const content = randomContent(48 * CHUNK)
    const seeder = await start({ config: { chunkSize: CHUNK } })
    const leecher = await start({ listen: false })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(content)
    const controller = new AbortController()
    const first = leecher.download(cid, seeder.addresses, { signal: controller.signal })
    const second = leecher.downloadContent(cid, seeder.addresses)
    controller.abort()
    await expect(first).rejects.toThrow(/aborted/)
    expect(equalBytes(await second, content)).toBe(true)
  })
})
