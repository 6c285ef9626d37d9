// fetchBlockFromPeers counts every bad manifest block against the peer that sent it, as a bad chunk
// is counted: a block with the wrong hash, and a block with the right hash that breaks the UnixFS
// rules (resolveManifest's check).
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { ContentId, InvalidManifestError, NoProvidersError } from '@codio-chunk/interface'
import { buildManifest, resolveManifest } from '@codio-chunk/content'
import { VerifyQueue } from '../src/download/verify-queue.js'
import { fetchBlockFromPeers, type BlockFetchContext } from '../src/download/providers.js'
import type { Verifier } from '@codio-chunk/interface'
import type { PeerSession } from '../src/peers/peer-session.js'

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest())
const verifier: Verifier = { name: 'test-sha256', code: 0x12, digestLength: 32, digest: sha256, async digestMany (inputs) { return inputs.map(sha256) } }

/** A peer answering each block request with `answer(cid)`; counts what fetchBlockFromPeers counts. */
interface FakePeer {
  session: PeerSession
  asked: string[]
  bad: () => number
}

function fakePeer (name: string, answer: (cid: CID) => Uint8Array): FakePeer {
  const asked: string[] = []
  let bad = 0
  const session = {
    peerId: name,
    closed: false,
    request (message: { block: CID }, _timeout: number, onOutcome: (outcome: { ok: true, bytes: Uint8Array }) => void) {
      asked.push(message.block.toString())
      queueMicrotask(() => { onOutcome({ ok: true, bytes: answer(message.block) }) })
      return { id: asked.length }
    },
    cancel () {},
    countBadChunk: () => ++bad,
    countTimeout () {}
  }
  return { session: session as unknown as PeerSession, asked, bad: () => bad }
}

function context (maxBadChunks: number): BlockFetchContext & { banned: string[] } {
  const banned: string[] = []
  return { requestTimeout: 5000, maxBadChunks, verify: new VerifyQueue([verifier]), ban: (session) => { banned.push(session.peerId) }, banned }
}

/**
 * A dag-pb leaf whose hash is right but whose UnixFS filesize (3) is not the 2 bytes it holds:
 * PBNode { Data: UnixFS { Type: file, Data: "hi", filesize: 3 } }.
 */
function badNode (): { cid: CID, bytes: Uint8Array } {
  const bytes = Uint8Array.of(0x0a, 0x08, 0x08, 0x02, 0x12, 0x02, 0x68, 0x69, 0x18, 0x03)
  return { cid: CID.createV1(0x70, Digest.create(0x12, sha256(bytes))), bytes }
}

describe('fetchBlockFromPeers', () => {
  it('counts a block that does not hash to its CID and asks the next peer', async () => {
    const built = await buildManifest(new Uint8Array(3000).fill(7), { chunkSize: 1024, cidVersion: 0 })
    const block = built.blocks[0]
    const liar = fakePeer('liar', () => new Uint8Array(block.bytes.length))
    const honest = fakePeer('honest', () => block.bytes)
    const ctx = context(1)
    const bytes = await fetchBlockFromPeers(ctx, () => [liar.session, honest.session], built.root, block.cid)
    expect(bytes).toBe(block.bytes)
    expect(liar.bad()).toBe(1)
    expect(honest.bad()).toBe(0)
    expect(ctx.banned).toEqual(['liar'])
  })

  it('counts a block that hashes to its CID but that the check refuses, and throws its InvalidManifestError at once', async () => {
    const { cid, bytes } = badNode()
    const first = fakePeer('first', () => bytes)
    const second = fakePeer('second', () => bytes)
    const ctx = context(2)
    const refuse = (): void => { throw new InvalidManifestError('breaks the rules') }
    const root = ContentId.fromCid(cid)
    await expect(fetchBlockFromPeers(ctx, () => [first.session, second.session], root, cid, undefined, undefined, refuse)).rejects.toThrow(InvalidManifestError)
    expect(first.bad()).toBe(1)
    expect(second.asked).toEqual([]) // every peer holds the same bytes for a CID
    expect(ctx.banned).toEqual([])
    await expect(fetchBlockFromPeers(ctx, () => [first.session], root, cid, undefined, undefined, refuse)).rejects.toThrow(InvalidManifestError)
    expect(first.bad()).toBe(2)
    expect(ctx.banned).toEqual(['first'])
  })

  it('does not count a check that fails for another reason than the block', async () => {
    const { cid, bytes } = badNode()
    const peer = fakePeer('peer', () => bytes)
    const ctx = context(1)
    const failure = new Error('a local fault')
    await expect(fetchBlockFromPeers(ctx, () => [peer.session], ContentId.fromCid(cid), cid, undefined, undefined, () => { throw failure })).rejects.toBe(failure)
    expect(peer.bad()).toBe(0)
  })

  it('wired to resolveManifest as the download coordinator does: a manifest block that breaks the UnixFS rules counts and bans', async () => {
    const { cid, bytes } = badNode()
    const peer = fakePeer('peer', () => bytes)
    const ctx = context(1)
    const root = ContentId.fromCid(cid)
    const resolving = resolveManifest(cid, async (block, opts) => await fetchBlockFromPeers(ctx, () => [peer.session], root, block, opts.signal, undefined, opts.check), { verifier, fetchVerifies: true })
    await expect(resolving).rejects.toThrow(/filesize says 3/)
    expect(peer.bad()).toBe(1)
    expect(ctx.banned).toEqual(['peer'])
    // A wrong block from the only peer is counted too, and ends in NoProvidersError.
    const other = fakePeer('other', () => new Uint8Array(4))
    await expect(resolveManifest(cid, async (block, opts) => await fetchBlockFromPeers(ctx, () => [other.session], root, block, opts.signal, undefined, opts.check), { verifier, fetchVerifies: true })).rejects.toThrow(NoProvidersError)
    expect(other.bad()).toBe(1)
  })
})
