import { afterEach, describe, expect, it } from 'vitest'
import { Bitfield, RejectCode, buildManifest, type ChunkDistributor, type ChunkConfigOptions, type WireMessage } from '@codio-chunk/core'
import { equalBytes, randomContent, startNode, stopAll, storedBytes, waitFor } from './swarm-helpers.js'
import { scriptedPeer, type ScriptedPeer } from './scripted-peer.js'

const nodes: ChunkDistributor[] = []
const scripted: ScriptedPeer[] = []
afterEach(async () => {
  await stopAll(nodes)
  await Promise.allSettled(scripted.splice(0).map(async p => { await p.close() }))
})

const KiB = 1024
const MiB = 1024 * KiB
const CHUNK = 32 * KiB
const SIZE = 2 * MiB
const PEERS = 6
/** Every node's upload cap: the seeder's is the swarm's bottleneck, as in `pnpm bench`'s distribution scenario. */
const CAP = 2 * MiB
/** Copies of the content a super-seeder may send. */
const SUPER_SEED_COPIES = 1.15

/** What the seeder sent while PEERS peers downloaded a content from it. */
interface SeederSends {
  /** Copies of the content sent. */
  copies: number
  /** Chunks sent again before every chunk had been sent once (each delays the whole swarm). */
  duplicatesBeforeFullCopy: number
}

/** One seeder and PEERS peers that start together and all dial each other. */
async function distribute (content: Uint8Array, seederConfig: Partial<ChunkConfigOptions>): Promise<SeederSends> {
  const config: Partial<ChunkConfigOptions> = { chunkSize: CHUNK, uploadLimit: CAP }
  const seeder = await startNode({ config: { ...config, ...seederConfig } })
  nodes.push(seeder)
  const cid = await seeder.storeContent(content)
  const chunkCount = Math.ceil(content.length / CHUNK)
  const sends = new Uint16Array(chunkCount)
  let distinct = 0
  let duplicatesBeforeFullCopy = 0
  seeder.events.on('chunk:served', ({ index }) => {
    if (sends[index]++ === 0) distinct++
    else if (distinct < chunkCount) duplicatesBeforeFullCopy++
  })
  const peers: ChunkDistributor[] = []
  for (let i = 0; i < PEERS; i++) peers.push(await startNode({ config }))
  nodes.push(...peers)
  await Promise.all(peers.map(async (peer, i) => {
    await Promise.all(peers.slice(0, i).map(async other => await peer.connect(other.addresses[0])))
  }))
  await Promise.all(peers.map(async peer => await peer.download(cid, seeder.addresses, { signal: AbortSignal.timeout(20_000) })))
  for (const peer of peers) expect(equalBytes(await storedBytes(peer, cid), content)).toBe(true)
  const sent = seeder.peerStats().reduce((sum, p) => sum + p.bytesSent, 0)
  await stopAll(nodes)
  return { copies: sent / content.length, duplicatesBeforeFullCopy }
}

describe('super-seeding', () => {
  it('uploads about one copy of the content, sends no chunk twice before all went out once, and every peer completes', async () => {
    const content = randomContent(SIZE)
    const plain = await distribute(content, {})
    const superSeeded = await distribute(content, { superSeed: true })
    expect(superSeeded.copies).toBeGreaterThanOrEqual(1)
    expect(superSeeded.copies).toBeLessThanOrEqual(SUPER_SEED_COPIES)
    expect(plain.copies).toBeGreaterThanOrEqual(1)
    // A plain seeder sends chunks twice as well, but not before it has sent each once: a peer that
    // sees another get a chunk first cancels its own request to the seeder for it.
    expect(plain.duplicatesBeforeFullCopy).toBeLessThanOrEqual(Math.ceil(SIZE / CHUNK) / 8)
    expect(superSeeded.duplicatesBeforeFullCopy).toBe(0)
  })

  it('serves a lone peer everything, then seeds normally to a peer that joins later', async () => {
    const content = randomContent(24 * CHUNK + 100)
    const seeder = await startNode({ config: { chunkSize: CHUNK, superSeed: true } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(content)
    const first = await startNode()
    nodes.push(first)
    expect(equalBytes(await first.downloadContent(cid, seeder.addresses, { signal: AbortSignal.timeout(10_000) }), content)).toBe(true)
    // Each chunk left the seeder once.
    expect(seeder.peerStats()[0].bytesSent).toBeLessThan(content.length + 24 * 64)
    const late = await startNode()
    nodes.push(late)
    expect(equalBytes(await late.downloadContent(cid, seeder.addresses, { signal: AbortSignal.timeout(10_000) }), content)).toBe(true)
  })

  it('does not starve peers that cannot pass chunks on (neither listens, so they cannot trade)', async () => {
    const content = randomContent(48 * CHUNK)
    const seeder = await startNode({ config: { chunkSize: CHUNK, superSeed: true } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(content)
    const leechers = [await startNode({ listen: false }), await startNode({ listen: false })]
    nodes.push(...leechers)
    // Each stalls once (its chunks never spread), then gets chunks as fast as it fetches them.
    const got = await Promise.all(leechers.map(async l => await l.downloadContent(cid, seeder.addresses, { signal: AbortSignal.timeout(15_000) })))
    for (const bytes of got) expect(equalBytes(bytes, content)).toBe(true)
  })

  it('advertises distinct chunks to each peer, rejects chunks it did not reveal, and never crashes on what peers send', async () => {
    const content = randomContent(64 * CHUNK)
    const manifest = await buildManifest(content, { chunkSize: CHUNK })
    const seeder = await startNode({ config: { chunkSize: CHUNK, superSeed: true } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(content)
    expect(cid.equals(manifest.root)).toBe(true)
    const n = manifest.chunkCount
    const empty = new Bitfield(n).toBytes()
    /** A downloader that joins the swarm with nothing and records what the seeder advertises to it. */
    const watcher = async (): Promise<{ peer: ScriptedPeer, send: (m: WireMessage) => void, advertised: () => Set<number> }> => {
      let reply: (m: WireMessage) => void = () => {}
      const peer = await scriptedPeer((message, send) => {
        reply = send
        if (message.type === 'hello') send({ type: 'bitfield', content: cid.cid, chunkCount: n, bits: empty })
      })
      scripted.push(peer)
      const advertised = (): Set<number> => {
        const out = new Set<number>()
        for (const m of peer.received) {
          if (m.type === 'bitfield' && m.chunkCount === n) for (const i of Bitfield.fromBytes(n, m.bits)) out.add(i)
          if (m.type === 'have') out.add(m.index)
        }
        return out
      }
      return { peer, send: (m) => { reply(m) }, advertised }
    }
    const a = await watcher()
    const b = await watcher()
    await seeder.connect(a.peer.address)
    await seeder.connect(b.peer.address)
    await waitFor(() => a.advertised().size > 0 && b.advertised().size > 0, 5000, 'both peers to be shown some chunks')
    const shownA = a.advertised()
    const shownB = b.advertised()
    expect(shownA.size).toBeLessThan(n / 4)
    for (const index of shownA) expect(shownB.has(index)).toBe(false)

    // b asks for a chunk shown only to a: NotFound. Then for its own: data. Then garbage.
    const [onlyA] = shownA
    const [ownB] = shownB
    const answers = (): Map<number, WireMessage> => {
      const out = new Map<number, WireMessage>()
      for (const m of b.peer.received) if (m.type === 'data' || m.type === 'reject') out.set(m.id, m)
      return out
    }
    b.send({ type: 'request-chunk', id: 1, content: cid.cid, index: onlyA })
    b.send({ type: 'request-chunk', id: 2, content: cid.cid, index: ownB })
    await waitFor(() => answers().size === 2, 5000, 'answers to both requests')
    expect(answers().get(1)).toMatchObject({ type: 'reject', code: RejectCode.NotFound })
    expect(answers().get(2)).toMatchObject({ type: 'data' })
    // An out-of-range have is a protocol error for that connection only; a is still served.
    b.send({ type: 'have', content: cid.cid, index: n + 5 })
    await waitFor(() => !seeder.peerStats().some(s => s.peerId === b.peer.peerId), 5000, 'b to be disconnected')
    a.send({ type: 'request-chunk', id: 1, content: cid.cid, index: onlyA })
    await waitFor(() => a.peer.received.some(m => m.type === 'data'), 5000, 'a chunk for a')
    expect(seeder.peerStats().some(s => s.peerId === a.peer.peerId)).toBe(true)
  })
})
