import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryStorage, parseAddress, AbortError, NoProvidersError, type ChunkDistributor } from '@codio-chunk/core'
import { equalBytes, randomContent, startNode, stopAll, waitFor, type NodeOptions } from './swarm-helpers.js'
import { TRANSPORTS } from './transports.js'
import { corruptingStorage, stallingStorage } from './storage-doubles.js'

const nodes: ChunkDistributor[] = []
afterEach(async () => { await stopAll(nodes) })

const CHUNK = 32 * 1024

describe.each(TRANSPORTS)('a download over %s survives bad peers', (_name, transport) => {
  const start = async (options: NodeOptions = {}): Promise<ChunkDistributor> => await startNode({ ...options, transport })

  it('drops corrupt chunks, bans the peer that sent them and still completes', async () => {
    const content = randomContent(64 * CHUNK)
    const good = await start({ config: { chunkSize: CHUNK } })
    const liar = await start({ config: { chunkSize: CHUNK }, storage: corruptingStorage(memoryStorage()()) })
    const leecher = await start({ listen: false, config: { maxBadChunks: 3 } })
    nodes.push(good, liar, leecher)
    const cid = await good.storeContent(content)
    await liar.storeContent(content)
    const invalid: string[] = []
    const banned: string[] = []
    leecher.events.on('chunk:invalid', ({ peerId }) => invalid.push(peerId))
    leecher.events.on('peer:banned', ({ peerId }) => banned.push(peerId))
    const got = await leecher.downloadContent(cid, [...liar.addresses, ...good.addresses])
    expect(equalBytes(got, content)).toBe(true)
    expect(invalid.length).toBeGreaterThanOrEqual(1)
    expect(new Set(invalid)).toEqual(new Set([liar.peerId]))
    expect(banned).toEqual([liar.peerId])
    expect(leecher.peerStats().map(p => p.peerId)).not.toContain(liar.peerId)
    // A banned peer cannot come back.
    await expect(leecher.connect(liar.addresses[0])).rejects.toThrow(/banned/)
  })

  it('fails over when a provider dies mid-way', async () => {
    const content = randomContent(128 * CHUNK)
    const a = await start({ config: { chunkSize: CHUNK } })
    const b = await start({ config: { chunkSize: CHUNK } })
    const leecher = await start({ listen: false, config: { requestTimeout: 5000 } })
    nodes.push(a, b, leecher)
    const cid = await a.storeContent(content)
    await b.storeContent(content)
    let fromA = 0
    let stopped: Promise<void> | undefined
    leecher.events.on('chunk:verified', ({ peerId }) => {
      if (peerId === a.peerId && ++fromA === 10) stopped = a.stop()
    })
    const got = await leecher.downloadContent(cid, [...a.addresses, ...b.addresses])
    await stopped
    expect(fromA).toBeGreaterThanOrEqual(10)
    expect(equalBytes(got, content)).toBe(true)
  })

  it('times out a peer that never answers and gets the chunks elsewhere', async () => {
    const content = randomContent(24 * CHUNK)
    const silent = await start({ config: { chunkSize: CHUNK }, storage: stallingStorage(memoryStorage()()) })
    const good = await start({ config: { chunkSize: CHUNK } })
    const leecher = await start({ listen: false, config: { requestTimeout: 300 } })
    nodes.push(silent, good, leecher)
    const cid = await good.storeContent(content)
    await silent.storeContent(content)
    const timeouts: string[] = []
    leecher.events.on('chunk:timeout', ({ peerId }) => timeouts.push(peerId))
    // At first only the silent peer is known: its requests must time out.
    const download = leecher.downloadContent(cid, silent.addresses)
    await waitFor(() => timeouts.length > 0, 10_000, 'a request timeout')
    // Then a good peer appears and the download finishes from it.
    await leecher.connect(good.addresses[0])
    const got = await download
    expect(equalBytes(got, content)).toBe(true)
    expect(new Set(timeouts)).toEqual(new Set([silent.peerId]))
    expect(leecher.peerStats().find(p => p.peerId === silent.peerId)?.timeouts).toBeGreaterThan(0)
  })

  it('finishes through endgame without waiting for a stalled peer to time out', async () => {
    const content = randomContent(32 * CHUNK)
    const stalled = await start({ config: { chunkSize: CHUNK }, storage: stallingStorage(memoryStorage()()) })
    const good = await start({ config: { chunkSize: CHUNK } })
    const leecher = await start({ listen: false, config: { requestTimeout: 600_000 } })
    nodes.push(stalled, good, leecher)
    const cid = await good.storeContent(content)
    await stalled.storeContent(content)
    const timeouts: number[] = []
    leecher.events.on('chunk:timeout', ({ index }) => timeouts.push(index))
    // First only the stalled peer is known, so the first requests go to it...
    const download = leecher.downloadContent(cid, stalled.addresses)
    await waitFor(() => (stalled.peerStats().find(p => p.peerId === leecher.peerId)?.requestsIn ?? 0) > 0, 10_000, 'requests at the stalled peer')
    // ...then a good peer arrives, takes the rest, and endgame duplicates the stalled requests to it.
    await leecher.connect(good.addresses[0])
    const got = await download
    expect(equalBytes(got, content)).toBe(true)
    // Done long before the stalled requests' ten-minute timeout.
    expect(timeouts).toEqual([])
  })

  it('stops on abort and resumes from the chunks already verified', async () => {
    const content = randomContent(96 * CHUNK)
    const seeder = await start({ config: { chunkSize: CHUNK } })
    const storage = memoryStorage()()
    const leecher = await start({ listen: false, storage })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(content)
    const controller = new AbortController()
    let first = 0
    const off = leecher.events.on('chunk:verified', () => { if (++first === 20) controller.abort() })
    await expect(leecher.download(cid, seeder.addresses, { signal: controller.signal })).rejects.toBeInstanceOf(AbortError)
    off()
    const kept = (await storage.completed(cid))?.count ?? 0
    expect(kept).toBeGreaterThanOrEqual(20)
    let second = 0
    leecher.events.on('chunk:verified', () => { second++ })
    const got = await leecher.downloadContent(cid, seeder.addresses)
    expect(equalBytes(got, content)).toBe(true)
    expect(second).toBeGreaterThan(0)
    expect(second).toBeLessThanOrEqual(96 - kept)
  })
})

describe.each(TRANSPORTS)('a swarm over %s', (_name, transport) => {
  const start = async (options: NodeOptions = {}): Promise<ChunkDistributor> => await startNode({ ...options, transport })

  it('keeps per-peer upload and download tallies', async () => {
    const content = randomContent(40 * CHUNK)
    const seeder = await start({ config: { chunkSize: CHUNK } })
    const leecher = await start({ listen: false })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(content)
    await leecher.download(cid, seeder.addresses)
    const atSeeder = seeder.peerStats().find(p => p.peerId === leecher.peerId)
    const atLeecher = leecher.peerStats().find(p => p.peerId === seeder.peerId)
    // Chunks plus the manifest's root block, counted the same on both sides.
    expect(atSeeder?.bytesSent).toBeGreaterThan(content.length)
    expect(atSeeder?.bytesSent).toBeLessThan(content.length + 4096)
    expect(atLeecher?.bytesReceived).toBe(atSeeder?.bytesSent)
    expect(atSeeder?.bytesReceived).toBe(0)
    expect(atSeeder?.ratio).toBe(0)
    expect(atLeecher?.ratio).toBe(Number.POSITIVE_INFINITY)
    expect(atLeecher?.badChunks).toBe(0)
  })
})

// Availability messages of one peer are handled in order (bitfield before the `peers` message
// behind it), so peer exchange works whatever the transport's timing.
describe.each(TRANSPORTS)('a swarm over %s with peer exchange', (_name, transport) => {
  it('spreads content between peers that only know the seeder', async () => {
    const content = randomContent(96 * CHUNK)
    const seeder = await startNode({ config: { chunkSize: CHUNK }, transport })
    nodes.push(seeder)
    const cid = await seeder.storeContent(content)
    const peers = await Promise.all([0, 1, 2, 3].map(async () => await startNode({ transport })))
    nodes.push(...peers)
    const results = await Promise.all(peers.map(async p => await p.downloadContent(cid, seeder.addresses)))
    for (const got of results) expect(equalBytes(got, content)).toBe(true)
    // Peers found each other through peer exchange and traded chunks.
    await waitFor(() => peers.every(p => p.peerStats().length >= 2), 5000, 'peer exchange connections')
    const peerToPeer = peers.reduce((sum, p) => sum + p.peerStats().filter(s => s.peerId !== seeder.peerId).reduce((a, s) => a + s.bytesSent, 0), 0)
    expect(peerToPeer).toBeGreaterThan(0)
  })
})

describe('a TCP node survives raw-socket abuse', () => {
  it('gives up on an address that accepts connections but never says hello', async () => {
    const { createServer } = await import('node:net')
    const sockets: import('node:net').Socket[] = []
    const mute = createServer((socket) => { sockets.push(socket) })
    await new Promise<void>(resolve => mute.listen(0, '127.0.0.1', resolve))
    const port = (mute.address() as import('node:net').AddressInfo).port
    try {
      const content = randomContent(8 * CHUNK)
      const good = await startNode({ config: { chunkSize: CHUNK } })
      const leecher = await startNode({ listen: false, config: { dialTimeout: 300 } })
      nodes.push(good, leecher)
      const cid = await good.storeContent(content)
      const got = await leecher.downloadContent(cid, [`tcp://127.0.0.1:${port}`, ...good.addresses])
      expect(equalBytes(got, content)).toBe(true)
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise(resolve => mute.close(resolve))
    }
  })

  it('closes a connection that sends a malformed or oversized frame and keeps serving others', async () => {
    const content = randomContent(16 * CHUNK)
    const seeder = await startNode({ config: { chunkSize: CHUNK } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(content)
    const { host, port } = parseAddress(seeder.addresses[0])
    const garbage = async (bytes: Uint8Array): Promise<void> => {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, host, () => { socket.write(bytes) })
        const timer = setTimeout(() => { socket.destroy(); reject(new Error('the node did not close the connection')) }, 5000)
        socket.on('data', () => {})
        socket.on('error', () => {})
        socket.on('close', () => { clearTimeout(timer); resolve() })
      })
    }
    // A length prefix of 2 GiB: refused before anything is allocated.
    await garbage(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0x01))
    // A frame of unknown type.
    await garbage(Uint8Array.of(0, 0, 0, 3, 0xee, 1, 2))
    // A hello with a truncated peer id.
    await garbage(Uint8Array.of(0, 0, 0, 8, 0x01, 0x43, 0x44, 0x43, 0x4b, 1, 0, 200))
    const leecher = await startNode({ listen: false })
    nodes.push(leecher)
    expect(equalBytes(await leecher.downloadContent(cid, seeder.addresses), content)).toBe(true)
  })

  it('gives the place of a handshake still running to a newcomer when every place is taken, and serves a real peer', async () => {
    const content = randomContent(8 * CHUNK)
    const seeder = await startNode({ config: { chunkSize: CHUNK, maxConnections: 2 } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(content)
    const { host, port } = parseAddress(seeder.addresses[0])
    // Two silent connections fill the places (they never say hello).
    const closed = (s: ReturnType<typeof connect>): Promise<void> => new Promise(resolve => { s.once('close', () => resolve()) })
    const silent = [connect(port, host), connect(port, host)]
    for (const s of silent) {
      s.on('error', () => {})
      s.on('data', () => {}) // reading, so the node's goodbye and FIN are seen
    }
    await Promise.all(silent.map(async s => await new Promise(resolve => s.once('connect', resolve))))
    const gone = silent.map(closed)
    // A third one takes the place of a handshake still running: one silent connection is closed.
    const third = connect(port, host)
    third.on('error', () => {})
    await Promise.race([...gone, new Promise((_resolve, reject) => setTimeout(() => reject(new Error('no handshake was evicted')), 5000))])
    // A real peer gets in at once the same way, and downloads.
    const leecher = await startNode({ listen: false })
    nodes.push(leecher)
    expect(equalBytes(await leecher.downloadContent(cid, seeder.addresses), content)).toBe(true)
    third.destroy()
    for (const s of silent) s.destroy()
  })
})

// The stall rule is the engine's, the same over every transport.
describe('a download from a provider that never answers', () => {
  it('fails, saying why, when the only provider takes requests and never answers', async () => {
    const requestTimeout = 500
    const silent = await startNode({ config: { chunkSize: CHUNK }, storage: stallingStorage(memoryStorage()()) })
    const leecher = await startNode({ listen: false, config: { requestTimeout } })
    nodes.push(silent, leecher)
    const cid = await silent.storeContent(randomContent(8 * CHUNK))
    const started = performance.now()
    const error = await leecher.downloadContent(cid, silent.addresses).then(() => undefined, (err: Error) => err)
    const seconds = (performance.now() - started) / 1000
    expect(error).toBeInstanceOf(NoProvidersError)
    expect(error?.message).toMatch(/did not deliver chunk \d+ within 500 ms/)
    // (MAX_REDIALS + 1) rounds of a request timeout and a second's grace, plus the sweeps and redials.
    expect(seconds).toBeLessThan(4 * (requestTimeout / 1000 + 1) + 3)
  })
})
