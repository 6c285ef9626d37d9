// Providers that lie in bytes written by hand from PROTOCOL.md, and providers that vanish
// without a goodbye: the copy is byte-identical every time, the liar is banned, the dead
// provider is replaced by the living one.
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { PeerIdentity, type ChunkDistributor } from '@codio-chunk/core'
import { fsStorage, DATA_FILE } from '@codio-chunk/storage-fs'
import { equalBytes, randomContent, startNode, stopAll, storedBytes, waitFor } from './swarm-helpers.js'
import { tcpProxy, type TcpProxy } from './tcp-proxy.js'
import { TYPE, data, fullBitfield, handWrittenPeer, hello, parseRequestBlock, parseRequestChunk, readCid, type HandWrittenPeer } from './wire-by-hand.js'

const nodes: ChunkDistributor[] = []
const closers: Array<{ close: () => Promise<void> }> = []
afterEach(async () => {
  await stopAll(nodes)
  await Promise.allSettled(closers.splice(0).map(async c => { await c.close() }))
})

const CHUNK = 64 * 1024

/**
 * A provider that claims every chunk and answers every request, chunk or manifest block, with
 * random bytes of a plausible length; its frames are laid out by hand from PROTOCOL.md.
 */
async function handWrittenLiar (chunkCount: number): Promise<{ peer: HandWrittenPeer, peerId: string, lies: () => number }> {
  const peerId = PeerIdentity.generate().peerId
  let lies = 0
  const answered = new Set<string>()
  const peer = await handWrittenPeer(hello(peerId, 'hand-written-liar/1'), (f, write) => {
    if (f.type === TYPE.bitfield) {
      const { cid } = readCid(f.payload, 0)
      if (answered.has(cid.toString('hex'))) return
      answered.add(cid.toString('hex'))
      write(fullBitfield(cid, chunkCount))
      write(Buffer.from([0, 0, 0, 1, TYPE.unchoke]))
    } else if (f.type === TYPE.requestChunk) {
      lies++
      write(data(parseRequestChunk(f.payload).id, randomBytes(CHUNK)))
    } else if (f.type === TYPE.requestBlock) {
      lies++
      write(data(parseRequestBlock(f.payload).id, randomBytes(200)))
    }
  })
  closers.push(peer)
  return { peer, peerId, lies: () => lies }
}

describe('a provider written from PROTOCOL.md alone that lies', () => {
  it('is banned, and the copy from the honest seeder is byte-identical', async () => {
    const content = randomContent(96 * CHUNK)
    const seeder = await startNode({ config: { chunkSize: CHUNK } })
    const downloader = await startNode({ listen: false, config: { maxBadChunks: 2 } })
    nodes.push(seeder, downloader)
    const cid = await seeder.storeContent(content)
    const liar = await handWrittenLiar(96)
    const connected: string[] = []
    const banned: string[] = []
    downloader.events.on('peer:connect', ({ peerId }) => connected.push(peerId))
    downloader.events.on('peer:banned', ({ peerId }) => banned.push(peerId))

    const copy = await downloader.downloadContent(cid, [liar.peer.address, ...seeder.addresses])

    expect(equalBytes(copy, content)).toBe(true)
    // The hand-made hello was accepted: the liar was a peer, it was asked, and it was banned for its answers.
    expect(connected).toContain(liar.peerId)
    expect(liar.lies()).toBeGreaterThan(0)
    expect(banned).toEqual([liar.peerId])
    await expect(downloader.connect(liar.peer.address)).rejects.toThrow(/banned/)
  })
})

describe('a provider that vanishes mid-transfer without a goodbye', () => {
  /**
   * Seeder A is reached through a proxy that breaks once it has forwarded `after` bytes; seeder B
   * is held behind another proxy until then, so A is certainly serving when it breaks.
   */
  async function breakMidTransfer (breakIt: (proxy: TcpProxy, a: ChunkDistributor) => void, requestTimeout: number): Promise<{ fromB: number, timedOut: string[], a: string }> {
    const content = randomContent(128 * CHUNK)
    const a = await startNode({ config: { chunkSize: CHUNK } })
    const b = await startNode({ config: { chunkSize: CHUNK } })
    const downloader = await startNode({ listen: false, config: { requestTimeout } })
    nodes.push(a, b, downloader)
    const cid = await a.storeContent(content)
    await b.storeContent(content)
    const toB = await tcpProxy(b.addresses[0], { held: true })
    const toA = await tcpProxy(a.addresses[0], { at: { bytes: 16 * CHUNK, then: (proxy) => { breakIt(proxy, a); toB.release() } } })
    closers.push(toA, toB)

    let fromB = 0
    const timedOut: string[] = []
    downloader.events.on('chunk:verified', ({ peerId }) => { if (peerId === b.peerId) fromB++ })
    downloader.events.on('chunk:timeout', ({ peerId }) => timedOut.push(peerId))
    const download = downloader.downloadContent(cid, [toA.address, toB.address])
    const copy = await download
    expect(toA.forwarded).toBeGreaterThan(8 * CHUNK)
    expect(toA.forwarded).toBeLessThanOrEqual(16 * CHUNK)

    expect(equalBytes(copy, content)).toBe(true)
    return { fromB, timedOut, a: a.peerId }
  }

  it('finishes from the other seeder when the first one\'s connection is reset (TCP RST)', async () => {
    // A's host is gone with it: its own address, learned from its hello, answers no more.
    const { fromB, timedOut } = await breakMidTransfer((proxy, a) => { proxy.reset(); void a.stop() }, 30_000)
    expect(fromB).toBeGreaterThan(0)
    // A reset is noticed at once: nothing waited for a request timeout.
    expect(timedOut).toEqual([])
  })

  it('finishes from the other seeder when the first one goes silent mid-frame, connection left open', async () => {
    // What A still owed is asked of B (a timeout, or endgame duplicates, whichever comes first).
    const { fromB, timedOut, a } = await breakMidTransfer((proxy) => { proxy.freeze() }, 1000)
    expect(fromB).toBeGreaterThan(0)
    for (const peerId of timedOut) expect(peerId).toBe(a)
  })
})

describe('a seeder whose store was damaged while it was down', () => {
  it('serves only what still verifies, the copy stays byte-identical, and it repairs itself from the swarm', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codio-chaos-store-'))
    closers.push({ close: async () => { await rm(dir, { recursive: true, force: true }) } })
    const content = randomContent(32 * CHUNK)
    const damaged = [3, 17, 31]
    const first = await startNode({ storage: fsStorage({ dir }), config: { chunkSize: CHUNK } })
    const cid = await first.storeContent(content)
    await first.stop()
    // One flipped byte in each of three chunks of the data file, as a bad disk would leave them.
    const file = await open(join(dir, cid.toString(), DATA_FILE), 'r+')
    for (const index of damaged) {
      const at = index * CHUNK + 1000
      const byte = Buffer.alloc(1)
      await file.read(byte, 0, 1, at)
      byte[0] ^= 0xff
      await file.write(byte, 0, 1, at)
    }
    await file.close()

    const restarted = await startNode({ storage: fsStorage({ dir }), config: { chunkSize: CHUNK } })
    const honest = await startNode({ config: { chunkSize: CHUNK } })
    const downloader = await startNode({ listen: false, config: { maxBadChunks: 1 } })
    nodes.push(restarted, honest, downloader)
    await honest.storeContent(content)
    const banned: string[] = []
    const invalid: string[] = []
    let verified = 0
    downloader.events.on('peer:banned', ({ peerId }) => banned.push(peerId))
    downloader.events.on('chunk:invalid', ({ peerId }) => invalid.push(peerId))
    downloader.events.on('chunk:verified', () => { verified++ })

    // At first the damaged seeder is the only provider, so it is asked for every chunk.
    const download = downloader.downloadContent(cid, restarted.addresses)
    download.catch(() => {}) // awaited below; a failing check above must not leave it unhandled
    await waitFor(() => verified === 32 - damaged.length, 10_000, 'every undamaged chunk')
    let held = await restarted.storage.completed(cid)
    for (let i = 0; i < 32 && held !== undefined; i++) expect(held.get(i)).toBe(!damaged.includes(i))
    // Then an honest seeder appears and the download completes from it.
    await downloader.connect(honest.addresses[0])
    const copy = await download

    expect(equalBytes(copy, content)).toBe(true)
    // The damaged seeder never sent a damaged chunk: it is neither banned nor blamed.
    expect(invalid).toEqual([])
    expect(banned).toEqual([])
    // Downloading the content again fetches what it dropped.
    await restarted.download(cid, honest.addresses)
    held = await restarted.storage.completed(cid)
    expect(held?.count).toBe(32)
    expect(equalBytes(await storedBytes(restarted, cid), content)).toBe(true)
  })
})
