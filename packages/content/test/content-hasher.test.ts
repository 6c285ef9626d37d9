import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'
import { defaultHasher, digestEquals, toMultihashHasher, verifyBlock } from '../src/hasher.js'
import { InvalidConfigError, UnsupportedHashError } from '@codio-chunk/interface'
import { fakeBlake3Verifier, testSha256Verifier } from './fixtures/content/generators.js'
import type { Verifier } from '@codio-chunk/interface'

const hello = new TextEncoder().encode('hello world\n')
const HELLO_V1 = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'

describe('toMultihashHasher', () => {
  it('makes the same CIDs as multiformats sha256, with sync and async verifiers', async () => {
    const asyncHasher = toMultihashHasher(testSha256Verifier())
    const syncVerifier: Verifier = { ...testSha256Verifier(), digest: (bytes) => Uint8Array.from(require256(bytes)) }
    const syncHasher = toMultihashHasher(syncVerifier)
    expect(asyncHasher.code).toBe(0x12)
    expect(asyncHasher.name).toBe('sha2-256')
    expect(CID.createV1(0x55, await asyncHasher.digest(hello)).toString()).toBe(HELLO_V1)
    const syncDigest = syncHasher.digest(hello)
    expect(syncDigest).not.toBeInstanceOf(Promise) // a sync verifier stays sync
    expect(CID.createV1(0x55, await syncDigest).toString()).toBe(HELLO_V1)
    expect(await asyncHasher.encode(hello)).toEqual((await sha256.digest(hello)).digest)
  })

  it('refuses digests of the wrong length', async () => {
    const liar = toMultihashHasher({ ...testSha256Verifier(), digestLength: 20 })
    await expect(Promise.resolve(liar.digest(hello))).rejects.toThrow(InvalidConfigError)
  })

  it('defaultHasher is sha2-256', async () => {
    expect(defaultHasher.code).toBe(0x12)
    expect((await defaultHasher.digest(hello)).bytes).toEqual((await sha256.digest(hello)).bytes)
  })
})

describe('verifyBlock', () => {
  const cid = CID.parse(HELLO_V1)

  it('accepts matching bytes and refuses others, with the default hasher', async () => {
    expect(await verifyBlock(cid, hello)).toBe(true)
    expect(await verifyBlock(cid, new TextEncoder().encode('hello world!'))).toBe(false)
    expect(await verifyBlock(cid, new Uint8Array(0))).toBe(false)
  })

  it('uses the verifier whose code matches the CID', async () => {
    const verifier = testSha256Verifier()
    expect(await verifyBlock(cid, hello, verifier)).toBe(true)
    expect(verifier.calls.digest).toBe(1)
    const blake3 = fakeBlake3Verifier()
    const blakeCid = CID.createV1(0x55, await toMultihashHasher(blake3).digest(hello))
    expect(await verifyBlock(blakeCid, hello, blake3)).toBe(true)
    expect(await verifyBlock(blakeCid, hello.subarray(1), blake3)).toBe(false)
  })

  it('throws UnsupportedHashError when no verifier handles the hash', async () => {
    const blakeCid = CID.createV1(0x55, await toMultihashHasher(fakeBlake3Verifier()).digest(hello))
    await expect(verifyBlock(blakeCid, hello)).rejects.toThrow(UnsupportedHashError)
    await expect(verifyBlock(cid, hello, fakeBlake3Verifier())).rejects.toThrow(UnsupportedHashError)
    const inline = CID.createV1(0x55, identity.digest(hello))
    await expect(verifyBlock(inline, hello)).rejects.toThrow(UnsupportedHashError)
  })
})

describe('digestEquals', () => {
  it('compares whole digests', () => {
    expect(digestEquals(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(true)
    expect(digestEquals(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false)
    expect(digestEquals(Uint8Array.of(9, 2, 3), Uint8Array.of(1, 2, 3))).toBe(false)
    expect(digestEquals(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false)
    expect(digestEquals(new Uint8Array(0), new Uint8Array(0))).toBe(true)
  })
})

function require256 (bytes: Uint8Array): Uint8Array {
  const digest = sha256.digest(bytes)
  if (digest instanceof Promise) throw new Error('expected node:crypto sha256 to be synchronous')
  return digest.digest
}
