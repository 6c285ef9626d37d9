// A peer serving manifest blocks is counted for every bad one, as for bad chunks: a block that does
// not hash to its CID, and a block that hashes right but breaks the UnixFS rules.
import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { ContentId, GoodbyeCode, InvalidManifestError, NoProvidersError, RejectCode, buildManifest, type ChunkDistributor, type WireMessage } from '@codio-chunk/core'
import { randomContent, startNode, stopAll } from './swarm-helpers.js'
import { scriptedPeer, type ScriptedPeer } from './scripted-peer.js'

const nodes: ChunkDistributor[] = []
const scripted: ScriptedPeer[] = []
afterEach(async () => {
  await stopAll(nodes)
  await Promise.allSettled(scripted.splice(0).map(async p => { await p.close() }))
})

/** A scripted peer answering each request-block with `blocks.get(cid)`, or NotFound. */
async function blockServer (blocks: Map<string, Uint8Array>): Promise<ScriptedPeer> {
  const peer = await scriptedPeer((message, send) => {
    if (message.type !== 'request-block') return
    const bytes = blocks.get(message.block.toString())
    send(bytes !== undefined ? { type: 'data', id: message.id, bytes } : { type: 'reject', id: message.id, code: RejectCode.NotFound, reason: 'no' })
  })
  scripted.push(peer)
  return peer
}

/** Resolves with the goodbye the peer received, or undefined once 10 s have passed. */
async function goodbyeOf (peer: ScriptedPeer): Promise<WireMessage | undefined> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const goodbye = peer.received.find(m => m.type === 'goodbye')
    if (goodbye !== undefined || Date.now() > deadline) return goodbye
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** A dag-pb leaf whose UnixFS filesize (3) is not the 2 bytes it holds: its hash is right, its content is not. */
function brokenRoot (): { cid: ContentId, bytes: Uint8Array } {
  const bytes = Uint8Array.of(0x0a, 0x08, 0x08, 0x02, 0x12, 0x02, 0x68, 0x69, 0x18, 0x03)
  const digest = createHash('sha256').update(bytes).digest()
  // CIDv1, dag-pb, sha2-256 of 32 bytes
  return { cid: ContentId.fromBytes(Uint8Array.of(0x01, 0x70, 0x12, 0x20, ...digest)), bytes }
}

describe('peers that serve bad manifest blocks', () => {
  it('bans a peer whose manifest block hashes right but breaks the UnixFS rules, at maxBadChunks', async () => {
    const { cid, bytes } = brokenRoot()
    const peer = await blockServer(new Map([[cid.toString(), bytes]]))
    const leecher = await startNode({ listen: false, config: { maxBadChunks: 1, requestTimeout: 5000 } })
    nodes.push(leecher)
    const banned: string[] = []
    leecher.events.on('peer:banned', ({ peerId }) => { banned.push(peerId) })
    await expect(leecher.download(cid, [peer.address])).rejects.toThrow(InvalidManifestError)
    expect(await goodbyeOf(peer)).toMatchObject({ type: 'goodbye', code: GoodbyeCode.Banned })
    expect(banned).toEqual([peer.peerId])
  })

  it('counts a peer whose manifest block does not hash to its CID, and bans it at maxBadChunks', async () => {
    const built = await buildManifest(randomContent(200 * 1024), { chunkSize: 1024 })
    const wrong = new Map(built.blocks.map(b => [b.cid.toString(), Uint8Array.from(b.bytes, (x, i) => i === 0 ? x ^ 1 : x)]))
    const peer = await blockServer(wrong)
    const leecher = await startNode({ listen: false, config: { maxBadChunks: 1, requestTimeout: 5000 } })
    nodes.push(leecher)
    await expect(leecher.download(built.root, [peer.address])).rejects.toThrow(NoProvidersError)
    expect(await goodbyeOf(peer)).toMatchObject({ type: 'goodbye', code: GoodbyeCode.Banned })
  })
})
