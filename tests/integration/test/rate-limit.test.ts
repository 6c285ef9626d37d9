import { afterEach, describe, expect, it } from 'vitest'
import { defaultBurst, type ChunkDistributor } from '@codio-chunk/core'
import { equalBytes, randomContent, startNode, stopAll, waitFor } from './swarm-helpers.js'
import { scriptedPeer, type ScriptedPeer } from './scripted-peer.js'

const nodes: ChunkDistributor[] = []
const scripted: ScriptedPeer[] = []
afterEach(async () => {
  await stopAll(nodes)
  await Promise.allSettled(scripted.splice(0).map(async p => { await p.close() }))
})

const MiB = 1024 * 1024
const RATE = 4 * MiB
const CHUNK = 256 * 1024
/**
 * Bytes a bucket may let through beyond `rate × t`: its burst, or one chunk if that is larger (a
 * take larger than the burst borrows). The bucket is full when the transfer starts.
 */
const SLACK = Math.max(defaultBurst(RATE), CHUNK)

/** Hard lower bound on the time to move `bytes` through a bucket of RATE, in milliseconds (minus 1 ms for float rounding). */
function minimumMs (bytes: number): number {
  return (bytes - SLACK) / RATE * 1000 - 1
}

/** Counts the chunk payload bytes a node sends. */
function countServed (node: ChunkDistributor): { bytes: number } {
  const served = { bytes: 0 }
  node.events.on('chunk:served', ({ bytes }) => { served.bytes += bytes })
  return served
}

describe('node-wide rate limits', () => {
  it('caps what an upload-limited seeder sends, and gets close to the cap', async () => {
    const content = randomContent(6 * MiB)
    const seeder = await startNode({ config: { uploadLimit: RATE, chunkSize: CHUNK } })
    const leecher = await startNode({ listen: false })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(content)
    const served = countServed(seeder)
    const start = performance.now()
    const got = await leecher.downloadContent(cid, seeder.addresses)
    const elapsed = performance.now() - start
    expect(equalBytes(got, content)).toBe(true)
    expect(served.bytes).toBe(content.length)
    expect(elapsed).toBeGreaterThanOrEqual(minimumMs(content.length))
    // Generous tolerance for a busy machine: at least half the cap.
    expect(content.length / (elapsed / 1000)).toBeGreaterThanOrEqual(RATE * 0.5)
  })

  it('shares the upload cap fairly across all of the seeder\'s connections', async () => {
    const content = randomContent(3 * MiB)
    const chunks = content.length / CHUNK
    const seeder = await startNode({ config: { uploadLimit: RATE, chunkSize: CHUNK } })
    // Neither leecher listens, so they cannot trade chunks with each other: all comes from the seeder.
    const leechers = [await startNode({ listen: false }), await startNode({ listen: false })]
    nodes.push(seeder, ...leechers)
    const cid = await seeder.storeContent(content)
    const served = countServed(seeder)
    const perPeer = new Map<string, number>()
    seeder.events.on('chunk:served', ({ peerId }) => { perPeer.set(peerId, (perPeer.get(peerId) ?? 0) + 1) })
    let atFirstDone: number[] | undefined
    const start = performance.now()
    const got = await Promise.all(leechers.map(async l => {
      const bytes = await l.downloadContent(cid, seeder.addresses)
      atFirstDone ??= leechers.map(other => perPeer.get(other.peerId) ?? 0)
      return bytes
    }))
    const elapsed = performance.now() - start
    for (const bytes of got) expect(equalBytes(bytes, content)).toBe(true)
    expect(served.bytes).toBe(2 * content.length)
    // The cap holds for the node as a whole, not per connection.
    expect(elapsed).toBeGreaterThanOrEqual(minimumMs(served.bytes))
    // Waiters are served in turn: when one leecher finished, the other had most of its chunks too.
    expect(Math.min(...(atFirstDone ?? [0]))).toBeGreaterThanOrEqual(chunks / 2)
  })

  it('caps a download-limited node by when it issues requests', async () => {
    const content = randomContent(6 * MiB)
    const seeder = await startNode({ config: { chunkSize: CHUNK } })
    const leecher = await startNode({ listen: false, config: { downloadLimit: RATE } })
    nodes.push(seeder, leecher)
    const cid = await seeder.storeContent(content)
    const start = performance.now()
    const got = await leecher.downloadContent(cid, seeder.addresses)
    const elapsed = performance.now() - start
    expect(equalBytes(got, content)).toBe(true)
    expect(elapsed).toBeGreaterThanOrEqual(minimumMs(content.length))
    expect(content.length / (elapsed / 1000)).toBeGreaterThanOrEqual(RATE * 0.5)
    // The limit is the leecher's: the seeder is not capped and the download finished with nothing left waiting.
    expect(leecher.downloadProgress(cid)).toBeUndefined()
  })

  it('sends nothing for requests cancelled while they wait for upload tokens', async () => {
    // 1 MiB/s: the first 256 KiB chunk passes on the burst, the next waits about 250 ms.
    const seeder = await startNode({ config: { uploadLimit: MiB, chunkSize: CHUNK } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(randomContent(4 * CHUNK))
    const peer = await scriptedPeer((message, send) => {
      if (message.type === 'unchoke') {
        for (let id = 1; id <= 4; id++) send({ type: 'request-chunk', id, content: cid.cid, index: id - 1 })
      } else if (message.type === 'data' && message.id === 1) {
        // Request 2 is now waiting for tokens (or about to), request 3 is queued behind it.
        send({ type: 'cancel', id: 2 })
        send({ type: 'cancel', id: 3 })
      }
    })
    scripted.push(peer)
    await seeder.connect(peer.address)
    const dataIds = (): number[] => peer.received.flatMap(m => m.type === 'data' ? [m.id] : [])
    await waitFor(() => dataIds().includes(4), 5000, 'the chunk requested after the cancelled ones')
    expect(dataIds()).toEqual([1, 4])
    expect(peer.received.filter(m => m.type === 'data').every(m => m.type === 'data' && m.bytes.length === CHUNK)).toBe(true)
  })
})
