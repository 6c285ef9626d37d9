import { describe, expect, it } from 'vitest'
import { buildManifest, memoryStorage, type ChunkDistributor } from '@codio-chunk/core'
import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
import { randomContent, startNode, waitFor } from './swarm-helpers.js'
import { chunkRequests as requests, scriptedHolder, scriptedTestResources, type TalkingPeer } from './scripted-peer.js'

const open = scriptedTestResources()

const CHUNK = 16 * 1024
const CHUNKS = 8

/** A scripted peer that answers the downloader's bitfield with `bits` and an unchoke, and never serves a chunk. */
async function holder (bits: Parameters<typeof scriptedHolder>[1]): Promise<TalkingPeer> {
  const peer = await scriptedHolder(CHUNKS, bits)
  open.scripted.push(peer)
  return peer
}

/**
 * A downloader that already has the manifest (so it asks its peers only for chunks), two chunks
 * in flight per peer, downloading from a scripted seed that takes requests and never answers.
 * Resolves once the seed holds two requests.
 */
async function downloadingFromSeed (): Promise<{ node: ChunkDistributor, seed: TalkingPeer }> {
  const content = randomContent(CHUNKS * CHUNK)
  const manifest = await buildManifest(content, { chunkSize: CHUNK })
  const storage = memoryStorage()()
  await storage.putManifest(manifest)
  const node = await startNode({ storage, listen: false, strategy: rarestFirst({ randomFirst: 0 }), config: { chunkSize: CHUNK, chunksPerPeer: 2 } })
  open.nodes.push(node)
  const seed = await holder((b) => { for (let i = 0; i < CHUNKS; i++) b.set(i) })
  const controller = new AbortController()
  open.downloads.push(controller)
  node.download(manifest.root, [seed.address], { signal: controller.signal }).catch(() => {})
  await waitFor(() => requests(seed).length === 2, 5000, 'two requests at the seed')
  return { node, seed }
}

describe('requests to a seed', () => {
  it('are cancelled when another peer got the chunk first, and the chunk is asked of that peer', async () => {
    const { node, seed } = await downloadingFromSeed()
    const peer = await holder(() => {})
    await node.connect(peer.address)
    await waitFor(() => peer.received.some(m => m.type === 'bitfield'), 5000, 'the downloader\'s bitfield')
    const [first, second] = requests(seed)
    // The peer announces the chunk the downloader asked the seed for first: it got it from the seed too.
    peer.send({ type: 'have', content: first.content, index: first.index })
    await waitFor(() => seed.received.some(m => m.type === 'cancel' && m.id === first.id), 5000, 'a cancel at the seed')
    await waitFor(() => requests(peer).some(r => r.index === first.index), 5000, 'the request moved to the peer')
    // The seed is asked for another chunk nobody has instead; the other request stays.
    await waitFor(() => requests(seed).length === 3, 5000, 'a replacement request at the seed')
    expect(requests(seed)[2].index).not.toBe(first.index)
    expect(seed.received.some(m => m.type === 'cancel' && m.id === second.id)).toBe(false)
  })

  it('move once: a later announcement of the chunk leaves the request with the first holder', async () => {
    const { node, seed } = await downloadingFromSeed()
    const [first] = requests(seed)
    const a = await holder(() => {})
    const b = await holder(() => {})
    for (const p of [a, b]) await node.connect(p.address)
    await waitFor(() => a.received.some(m => m.type === 'bitfield') && b.received.some(m => m.type === 'bitfield'), 5000, 'bitfields')
    // The first announcement of a chunk nobody but the seed had moves the request to the announcer.
    a.send({ type: 'have', content: first.content, index: first.index })
    await waitFor(() => seed.received.some(m => m.type === 'cancel' && m.id === first.id), 5000, 'the first cancel')
    await waitFor(() => requests(a).some(r => r.index === first.index), 5000, 'the request at the first holder')
    const asked = requests(seed).length
    b.send({ type: 'have', content: first.content, index: first.index })
    // Then a chunk nobody was asked for: once it is requested, the have before it was handled too.
    const busy = new Set([...requests(seed), ...requests(a)].map(r => r.index))
    let spare = 0
    while (busy.has(spare)) spare++
    b.send({ type: 'have', content: first.content, index: spare })
    await waitFor(() => requests(b).some(r => r.index === spare), 5000, 'a request at the second holder')
    // Nothing is moved again: the request to the first holder stays.
    expect(a.received.some(m => m.type === 'cancel')).toBe(false)
    expect(requests(seed).length).toBe(asked)
  })
})

describe('interest', () => {
  it('is dropped while a peer has nothing left to ask for, and declared again with the next request', async () => {
    const { node, seed } = await downloadingFromSeed()
    const requested = new Set(requests(seed).map(r => r.index))
    // A peer holding only the chunks already asked of the seed: nothing to ask it for.
    const peer = await holder((b) => { for (const i of requested) b.set(i) })
    await node.connect(peer.address)
    await waitFor(() => peer.received.some(m => m.type === 'not-interested'), 5000, 'not-interested')
    expect(requests(peer)).toHaveLength(0)
    // It gets a chunk we still need: we ask for it, saying we are interested first.
    let next = 0
    while (requested.has(next)) next++
    const content = requests(seed)[0].content
    peer.send({ type: 'have', content, index: next })
    await waitFor(() => requests(peer).some(r => r.index === next), 5000, 'a request for the new chunk')
    const types = peer.received.map(m => m.type)
    const lastNotInterested = types.lastIndexOf('not-interested')
    expect(types.indexOf('interested', lastNotInterested)).toBeGreaterThan(lastNotInterested)
    expect(types.indexOf('interested', lastNotInterested)).toBeLessThan(types.indexOf('request-chunk'))
  })
})
