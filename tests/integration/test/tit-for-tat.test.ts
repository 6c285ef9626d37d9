import { afterEach, describe, expect, it } from 'vitest'
import {
  Bitfield, RATIO_GRACE_BYTES, RejectCode, buildManifest, memoryStorage,
  type ChunkDistributor, type ChunkConfigOptions, type ContentId, type WireMessage
} from '@codio-chunk/core'
import { equalBytes, randomContent, startNode, stopAll, storedBytes, waitFor } from './swarm-helpers.js'
import { refusingStorage } from './storage-doubles.js'
import { scriptedPeer, type ScriptedPeer } from './scripted-peer.js'

const nodes: ChunkDistributor[] = []
const scripted: ScriptedPeer[] = []
afterEach(async () => {
  await stopAll(nodes)
  await Promise.allSettled(scripted.splice(0).map(async p => { await p.close() }))
})

const MiB = 1024 * 1024
/** Upload caps. The seeder's is higher, so the peers' uploads, not the seeder's, limit the swarm and tit-for-tat decides who gets them. */
const PEER_LIMIT = 2 * MiB
const SEEDER_LIMIT = 8 * MiB
const COOPERATIVE = 7
const CHUNK = 64 * 1024

/** Short choker periods so the swarm goes through many rechokes and rotations in a few seconds. */
const config: Partial<ChunkConfigOptions> = {
  chunkSize: CHUNK,
  uploadLimit: PEER_LIMIT,
  rechokeInterval: 300,
  optimisticUnchokeInterval: 1000,
  snubTimeout: 2000
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1]
}

describe('tit-for-tat', () => {
  it('serves cooperative peers first; a free-rider finishes on optimistic unchokes, later', async () => {
    const content = randomContent(16 * MiB)
    const seeder = await startNode({ config: { ...config, uploadLimit: SEEDER_LIMIT } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(content)
    const cooperative: ChunkDistributor[] = []
    for (let i = 0; i < COOPERATIVE; i++) cooperative.push(await startNode({ config }))
    let refusing = true
    const freeRider = await startNode({ config, storage: refusingStorage(memoryStorage()(), () => refusing) })
    nodes.push(...cooperative, freeRider)

    // What cooperative peers upload to each other and to the free-rider while they still download,
    // and what of it the free-rider got in a regular slot (not the optimistic one).
    const downloading = new Set(cooperative.map(n => n.peerId))
    const servedTo = new Map<string, number>()
    let riderRegularBytes = 0
    for (const node of cooperative) {
      node.events.on('chunk:served', ({ peerId, bytes }) => {
        if (!downloading.has(node.peerId)) return
        servedTo.set(peerId, (servedTo.get(peerId) ?? 0) + bytes)
        if (peerId === freeRider.peerId && node.peerStats().find(s => s.peerId === peerId)?.optimistic === false) riderRegularBytes += bytes
      })
    }

    const start = performance.now()
    const finished = new Map<ChunkDistributor, number>()
    await Promise.all([...cooperative, freeRider].map(async node => {
      await node.download(cid, seeder.addresses)
      finished.set(node, performance.now() - start)
      downloading.delete(node.peerId)
    }))

    // Everyone finished, the free-rider too, and later than the cooperative median.
    const cooperativeTimes = cooperative.map(n => finished.get(n) as number)
    const freeRiderTime = finished.get(freeRider) as number
    expect(cooperativeTimes).toHaveLength(COOPERATIVE)
    expect(freeRiderTime).toBeGreaterThan(median(cooperativeTimes))

    // A downloading peer gives the free-rider a regular slot only until it has sent it
    // RATIO_GRACE_BYTES unpaid: the chunk that crosses that line costs it the slot at once. One
    // chunk more per peer covers a peer that wanted none of the free-rider's chunks until then.
    // The rest it got while others downloaded came through optimistic unchokes (the bench's
    // fairness scenario reports the shares).
    expect(riderRegularBytes).toBeLessThanOrEqual(COOPERATIVE * (RATIO_GRACE_BYTES + 2 * CHUNK))

    // While downloading, cooperative peers gave the free-rider less than they gave each other.
    const perCooperative = cooperative.reduce((sum, n) => sum + (servedTo.get(n.peerId) ?? 0), 0) / COOPERATIVE
    expect(servedTo.get(freeRider.peerId) ?? 0).toBeLessThan(perCooperative)
    // The free-rider really gave nothing: no peer received a chunk from it (at most small manifest blocks).
    const fromRider = [seeder, ...cooperative].flatMap(n => n.peerStats().filter(s => s.peerId === freeRider.peerId))
    expect(fromRider.length).toBeGreaterThan(0)
    for (const stats of fromRider) expect(stats.bytesReceived).toBeLessThan(config.chunkSize as number)

    // Every copy is byte-identical.
    refusing = false
    for (const node of [...cooperative, freeRider]) expect(equalBytes(await storedBytes(node, cid), content)).toBe(true)
  })
})

/** A scripted downloader: once unchoked, says it is interested and asks for chunks 0..count-1 (ids 1..count). */
async function requester (cid: ContentId, count: number): Promise<ScriptedPeer> {
  let asked = false
  const peer = await scriptedPeer((message, send) => {
    if (message.type !== 'unchoke' || asked) return
    asked = true
    send({ type: 'interested', content: cid.cid })
    for (let id = 1; id <= count; id++) send({ type: 'request-chunk', id, content: cid.cid, index: id - 1 })
  })
  scripted.push(peer)
  return peer
}

/** The answer (data or reject) a peer received for each request id. */
function answers (peer: ScriptedPeer): Map<number, WireMessage> {
  const out = new Map<number, WireMessage>()
  for (const m of peer.received) if (m.type === 'data' || m.type === 'reject') out.set(m.id, m)
  return out
}

describe('choke and unchoke on the wire', () => {
  it('serves interested peers at once while slots are free, then chokes and rejects, never drops', async () => {
    const CHUNK = 64 * 1024
    // One regular slot plus the optimistic one; 256 KiB/s, so a peer's requests queue up.
    const seeder = await startNode({ config: { chunkSize: CHUNK, uploadLimit: 256 * 1024, uploadSlots: 1, rechokeInterval: 200, optimisticUnchokeInterval: 60_000 } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(randomContent(16 * CHUNK))
    const [a, b, c] = [await requester(cid, 8), await requester(cid, 2), await requester(cid, 2)]
    await seeder.connect(a.address)
    await waitFor(() => answers(a).size > 0, 5000, 'a first chunk for a (regular slot)')
    // Well within a's turn (three rechokes, 600 ms): b takes the vacant optimistic slot, and no
    // slot is left for c, which is choked as soon as it says it is interested.
    await seeder.connect(b.address)
    await seeder.connect(c.address)
    await waitFor(() => answers(b).size > 0, 5000, 'a first chunk for b (optimistic slot)')
    await waitFor(() => answers(c).size === 2, 5000, 'answers to c')
    expect(c.received.map(m => m.type)).toContain('choke')
    expect([...answers(c).values()].every(m => m.type === 'reject' && m.code === RejectCode.Choked)).toBe(true)

    // a's turn ends while c waits: a is choked and its queued requests are rejected.
    await waitFor(() => a.received.some(m => m.type === 'choke'), 5000, 'a to be choked')
    await waitFor(() => answers(a).size === 8, 5000, 'an answer to every request of a')
    const afterChoke = a.received.slice(a.received.findIndex(m => m.type === 'choke'))
    expect(afterChoke.some(m => m.type === 'data')).toBe(false)
    const rejected = [...answers(a).values()].filter(m => m.type === 'reject')
    expect(rejected.length).toBeGreaterThan(0)
    expect(rejected.every(m => m.type === 'reject' && m.code === RejectCode.Choked)).toBe(true)
    // c, the peer waiting longest, got the slot: it is unchoked again. b keeps the optimistic slot.
    await waitFor(() => c.received.filter(m => m.type === 'unchoke').length >= 2, 5000, 'c to be unchoked')
    expect(seeder.peerStats().find(s => s.peerId === b.peerId)).toMatchObject({ optimistic: true, choked: false, interested: true })
  })

  it('moves its requests away from a peer the moment it chokes', async () => {
    const CHUNK = 16 * 1024
    const content = randomContent(8 * CHUNK)
    const manifest = await buildManifest(content, { chunkSize: CHUNK })
    const firstRound = new Set<number>()
    const cancelled = new Set<number>()
    let phase: 'open' | 'choked' | 'serving' = 'open'
    let requestedAfterCancel = false
    // Claims every chunk; chokes on the first request without answering it, and unchokes once
    // every request it holds has been cancelled (then serves normally).
    const peer = await scriptedPeer((message, send) => {
      if (message.type === 'bitfield') {
        send({ type: 'bitfield', content: manifest.root.cid, chunkCount: manifest.chunkCount, bits: Bitfield.full(manifest.chunkCount).toBytes() })
        send({ type: 'unchoke' })
      } else if (message.type === 'request-block') {
        const block = manifest.getBlock(message.block)
        if (block !== undefined) send({ type: 'data', id: message.id, bytes: block })
        else send({ type: 'reject', id: message.id, code: RejectCode.NotFound, reason: 'no' })
      } else if (message.type === 'request-chunk') {
        if (phase === 'serving') {
          const offset = manifest.chunkOffset(message.index)
          send({ type: 'data', id: message.id, bytes: content.subarray(offset, offset + manifest.chunkLength(message.index)) })
          return
        }
        // Requests sent before the choke arrived are fine; once it cancels, it must stop asking.
        if (cancelled.size > 0) requestedAfterCancel = true
        firstRound.add(message.id)
        if (phase === 'open') { phase = 'choked'; send({ type: 'choke' }) }
      } else if (message.type === 'cancel' && phase === 'choked') {
        cancelled.add(message.id)
        if ([...firstRound].every(id => cancelled.has(id))) { phase = 'serving'; send({ type: 'unchoke' }) }
      }
    })
    scripted.push(peer)
    // A long request timeout: only the reaction to the choke can free those requests in time.
    const leecher = await startNode({ listen: false, config: { requestTimeout: 120_000 } })
    nodes.push(leecher)
    const download = leecher.download(manifest.root, [peer.address])
    await waitFor(() => phase === 'serving', 10_000, 'every request held by the choking peer to be cancelled')
    await download
    expect(firstRound.size).toBeGreaterThan(0)
    expect(requestedAfterCancel).toBe(false)
    expect(equalBytes(await storedBytes(leecher, manifest.root), content)).toBe(true)
  })
})
