import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { VerifyQueue } from '../src/download/verify-queue.js'
import { UnsupportedHashError } from '@codio-chunk/interface'
import type { Verifier } from '@codio-chunk/interface'

const RAW = 0x55
const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest())

/** A SHA-256 verifier that records the batches it was given. */
function recordingVerifier (code = 0x12): Verifier & { batches: number[] } {
  const batches: number[] = []
  return {
    name: `test-${code}`,
    code,
    digestLength: 32,
    batches,
    digest: sha256,
    async digestMany (inputs) {
      batches.push(inputs.length)
      return inputs.map(sha256)
    }
  }
}

const cidOf = (bytes: Uint8Array, code = 0x12): CID => CID.createV1(RAW, Digest.create(code, sha256(bytes)))
const block = (n: number): Uint8Array => new Uint8Array(64).fill(n)
const check = async (queue: VerifyQueue, cid: CID, bytes: Uint8Array): Promise<{ ok: boolean, error?: Error }> =>
  await new Promise((resolve) => { queue.check(cid, bytes, (ok, error) => { resolve({ ok, error }) }) })

describe('VerifyQueue', () => {
  it('hashes the blocks queued in one turn with one digestMany call, and reports each result', async () => {
    const verifier = recordingVerifier()
    const queue = new VerifyQueue([verifier])
    const results = await Promise.all([
      check(queue, cidOf(block(1)), block(1)),
      check(queue, cidOf(block(2)), block(2)),
      check(queue, cidOf(block(3)), block(4)) // the wrong bytes
    ])
    expect(results.map(r => r.ok)).toEqual([true, true, false])
    expect(verifier.batches).toEqual([3])
    expect(await queue.verify(cidOf(block(5)), block(5))).toBe(true)
    expect(verifier.batches).toEqual([3, 1])
  })

  it('splits a batch by hash algorithm and fails blocks no verifier handles', async () => {
    const sha = recordingVerifier(0x12)
    const other = recordingVerifier(0x1e)
    const queue = new VerifyQueue([sha, other])
    const results = await Promise.all([
      check(queue, cidOf(block(1)), block(1)),
      check(queue, cidOf(block(2), 0x1e), block(2)),
      check(queue, cidOf(block(3), 0x13), block(3))
    ])
    expect(results.map(r => r.ok)).toEqual([true, true, false])
    expect(results[2].error).toBeInstanceOf(UnsupportedHashError)
    expect([sha.batches, other.batches]).toEqual([[1], [1]])
  })

  it('hands a failing verifier\'s error to every block of the batch (a local problem, not the peer\'s)', async () => {
    const broken: Verifier = { ...recordingVerifier(), async digestMany () { throw new Error('out of memory') } }
    const short: Verifier = { ...recordingVerifier(0x1e), async digestMany () { return [] } }
    const queue = new VerifyQueue([broken, short])
    const [a, b] = await Promise.all([check(queue, cidOf(block(1)), block(1)), check(queue, cidOf(block(2), 0x1e), block(2))])
    expect(a.error?.message).toBe('out of memory')
    expect(b.error).toBeInstanceOf(UnsupportedHashError)
    await expect(queue.verify(cidOf(block(1)), block(1))).rejects.toThrow('out of memory')
  })

  it('delivers every result even if a callback throws', async () => {
    const queue = new VerifyQueue([recordingVerifier()])
    queue.check(cidOf(block(1)), block(1), () => { throw new Error('callback bug') })
    expect((await check(queue, cidOf(block(2)), block(2))).ok).toBe(true)
  })
})
