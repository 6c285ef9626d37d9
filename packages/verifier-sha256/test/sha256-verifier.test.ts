import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { InvalidConfigError } from '@codio-chunk/interface'
import { sha256Verifier, loadHashWasmBackend } from '../src/index.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const nodeHex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('sha256Verifier', () => {
  it('describes SHA-256 as a multihash', () => {
    const verifier = sha256Verifier()
    expect(verifier.name).toBe('sha2-256')
    expect(verifier.code).toBe(0x12)
    expect(verifier.digestLength).toBe(32)
  })

  it('matches the NIST FIPS 180-2 test vectors', async () => {
    const verifier = sha256Verifier()
    expect(hex(await verifier.digest(ascii('abc'))))
      .toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(hex(await verifier.digest(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))))
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1')
    expect(hex(await verifier.digest(new Uint8Array(1_000_000).fill(0x61))))
      .toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0')
    expect(hex(await verifier.digest(new Uint8Array(0))))
      .toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  it('matches node:crypto for random inputs of every length 0..1100', async () => {
    const verifier = sha256Verifier()
    const pool = randomBytes(1100 + 64)
    const inputs: Uint8Array[] = []
    for (let length = 0; length <= 1100; length++) {
      const start = length % 61 // also exercise unaligned views
      inputs.push(pool.subarray(start, start + length))
    }
    const many = await verifier.digestMany(inputs)
    for (let i = 0; i < inputs.length; i++) {
      const want = nodeHex(inputs[i])
      expect(hex(many[i])).toBe(want)
      expect(hex(await verifier.digest(inputs[i]))).toBe(want)
    }
  })

  it('matches node:crypto for a few large inputs', async () => {
    const verifier = sha256Verifier()
    for (const length of [256 * 1024, 1024 * 1024 + 13, 9 * 1024 * 1024 - 1]) {
      const input = randomBytes(length)
      expect(hex(await verifier.digest(input))).toBe(nodeHex(input))
    }
  })

  it('returns a Promise until loaded, then digests synchronously', async () => {
    const verifier = sha256Verifier()
    const first = verifier.digest(ascii('abc'))
    expect(first).toBeInstanceOf(Promise)
    await first
    const second = verifier.digest(ascii('abc'))
    expect(second).toBeInstanceOf(Uint8Array)
    expect(hex(second as Uint8Array)).toBe(nodeHex(ascii('abc')))
  })

  it('loads the backend once for concurrent first calls', async () => {
    const verifier = sha256Verifier()
    const inputs = [ascii('a'), ascii('b'), ascii('c')]
    const digests = await Promise.all([...inputs.map(async input => await verifier.digest(input)), verifier.digestMany(inputs)])
    inputs.forEach((input, i) => { expect(hex(digests[i] as Uint8Array)).toBe(nodeHex(input)) })
    expect((digests[3] as Uint8Array[]).map(hex)).toEqual(inputs.map(nodeHex))
  })

  it('rejects an unknown backend with InvalidConfigError', () => {
    expect(() => sha256Verifier({ backend: 'nope' as 'hash-wasm' })).toThrow(InvalidConfigError)
  })

  it('resolves auto to node:crypto on Node.js, wasm to hash-wasm, and keeps the named backends', async () => {
    expect(await sha256Verifier().backend()).toBe('node')
    expect(await sha256Verifier({ backend: 'auto' }).backend()).toBe('node')
    expect(await sha256Verifier({ backend: 'wasm' }).backend()).toBe('hash-wasm')
    expect(await sha256Verifier({ backend: 'hash-wasm' }).backend()).toBe('hash-wasm')
    expect(await sha256Verifier({ backend: 'wasm-simd' }).backend()).toBe('wasm-simd')
    expect(await sha256Verifier({ backend: 'node' }).backend()).toBe('node')
  })

  it('every backend matches node:crypto on a batch of chunks of unequal length', async () => {
    const inputs = [randomBytes(256 * 1024), randomBytes(256 * 1024), randomBytes(1024 * 1024 + 3), randomBytes(77), new Uint8Array(0), randomBytes(256 * 1024 - 1)]
    for (const backend of ['auto', 'wasm-simd', 'wasm', 'hash-wasm', 'node'] as const) {
      expect((await sha256Verifier({ backend }).digestMany(inputs)).map(hex), backend).toEqual(inputs.map(nodeHex))
    }
  })
})

describe('loadHashWasmBackend', () => {
  it('hashes synchronously once loaded', async () => {
    const backend = await loadHashWasmBackend()
    expect(backend.name).toBe('hash-wasm')
    expect(hex(backend.digest(ascii('abc')))).toBe(nodeHex(ascii('abc')))
    expect(backend.digestMany([ascii('x'), ascii('')]).map(hex)).toEqual([nodeHex(ascii('x')), nodeHex(ascii(''))])
  })
})

describe('the node:crypto backend', () => {
  it('matches the NIST FIPS 180-2 vectors and hash-wasm', async () => {
    const node = sha256Verifier({ backend: 'node' })
    const wasm = sha256Verifier({ backend: 'hash-wasm' })
    const abc = new TextEncoder().encode('abc')
    expect(Buffer.from(await node.digest(abc)).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    const inputs = [new Uint8Array(0), new Uint8Array(1000).fill(7), new Uint8Array(256 * 1024).fill(1)]
    expect((await node.digestMany(inputs)).map(d => Buffer.from(d).toString('hex'))).toEqual((await wasm.digestMany(inputs)).map(d => Buffer.from(d).toString('hex')))
  })
})
