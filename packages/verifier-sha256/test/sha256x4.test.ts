import { createHash, randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { createSha256x4Driver, instantiateSha256x4, loadWasmSimdBackend } from '../src/index.js'
import type { Sha256DigestInto, Sha256x4Kernel } from '../src/index.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const nodeHex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)
const fill = (length: number, byte: number): Uint8Array => new Uint8Array(length).fill(byte)

/** NIST SHA-256 examples (FIPS 180-2 appendix B) and the additional byte-oriented SHAVS vectors. */
const NIST: Array<[string, Uint8Array, string]> = [
  ['empty', new Uint8Array(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['"abc"', ascii('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ['448-bit message', ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ['896-bit message', ascii('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'), 'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1'],
  ['1 byte 0xbd', Uint8Array.of(0xbd), '68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b'],
  ['4 bytes c98c8e55', Uint8Array.of(0xc9, 0x8c, 0x8e, 0x55), '7abc22c0ae5af26ce93dbb94433a0e0b2e119d014f8e7f65bd56c61ccccd9504'],
  ['55 zero bytes', fill(55, 0), '02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7'],
  ['56 zero bytes', fill(56, 0), 'd4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb'],
  ['57 zero bytes', fill(57, 0), '65a16cb7861335d5ace3c60718b5052e44660726da4cd13bb745381b235a1785'],
  ['64 zero bytes', fill(64, 0), 'f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b'],
  ['1000 zero bytes', fill(1000, 0), '541b3e9daa09b20bf85fa273e5cbd3e80185aa4ec298e765db87742b70138a53'],
  ['1000 bytes 0x41', fill(1000, 0x41), 'c2e686823489ced2017f6059b8b239318b6364f6dcd835d0a519105a1eadd6e4'],
  ['1005 bytes 0x55', fill(1005, 0x55), 'f4d62ddec0f3dd90ea1380fa16a5ff8dc4c54b21740650f24afc4120903552b0'],
  ['one million "a"', fill(1_000_000, 0x61), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
  ['one million zero bytes', fill(1_000_000, 0), 'd29751f2649b32ff572b5e0a9f541ea660a50f94ff0beedfb0b692b924cc8025']
]

let kernel: Sha256x4Kernel

beforeAll(async () => {
  const loaded = await instantiateSha256x4()
  if (loaded === undefined) throw new Error('this Node.js has no WebAssembly SIMD')
  kernel = loaded
})

function digestAll (digestInto: Sha256DigestInto, inputs: readonly Uint8Array[]): string[] {
  const out = new Uint8Array(32 * inputs.length)
  digestInto(inputs, out)
  return inputs.map((_, i) => hex(out.subarray(32 * i, 32 * i + 32)))
}

describe('the four-lane SIMD SHA-256 kernel', () => {
  it('matches the NIST vectors, alone, together and in every lane', () => {
    const digestInto = createSha256x4Driver(kernel)
    for (const [name, input, want] of NIST) {
      expect(digestAll(digestInto, [input]), name).toEqual([want])
      expect(digestAll(digestInto, [input, input, input, input]), name).toEqual([want, want, want, want])
    }
    expect(digestAll(digestInto, NIST.map(([, input]) => input))).toEqual(NIST.map(([, , want]) => want))
  })

  it('matches node:crypto for every length from 0 to 4 KiB, on unaligned views', () => {
    const digestInto = createSha256x4Driver(kernel)
    const pool = randomBytes(4096 + 64)
    const inputs: Uint8Array[] = []
    for (let length = 0; length <= 4096; length++) inputs.push(pool.subarray(length % 61, length % 61 + length))
    expect(digestAll(digestInto, inputs)).toEqual(inputs.map(nodeHex))
    // The same lengths in batches of every size from 1 to 9, so lanes start and finish at different blocks.
    for (let size = 1; size <= 9; size++) {
      const batch = inputs.filter((_, i) => i % 97 < size)
      expect(digestAll(digestInto, batch)).toEqual(batch.map(nodeHex))
    }
  })

  it('matches node:crypto for chunk-sized inputs of equal and unequal lengths', () => {
    const digestInto = createSha256x4Driver(kernel)
    const KiB = 1024
    const equal = Array.from({ length: 16 }, () => randomBytes(256 * KiB))
    expect(digestAll(digestInto, equal)).toEqual(equal.map(nodeHex))
    const unequal = [1024 * KiB + 13, 256 * KiB, 3, 0, 256 * KiB - 1, 70_000, 64, 1024 * KiB].map(length => randomBytes(length))
    expect(digestAll(digestInto, unequal)).toEqual(unequal.map(nodeHex))
    for (let size = 1; size <= 6; size++) {
      expect(digestAll(digestInto, unequal.slice(0, size))).toEqual(unequal.slice(0, size).map(nodeHex))
    }
  })

  it('works with one-block segments, inputs in shared memory and a scalar helper for the odd input', () => {
    let singles = 0
    const single = (input: Uint8Array): Uint8Array => { singles++; return createHash('sha256').update(input).digest() }
    const digestInto = createSha256x4Driver(kernel, { segmentBytes: 64, single })
    const shared = new Uint8Array(new SharedArrayBuffer(20_000))
    shared.set(randomBytes(20_000))
    const inputs = [shared.subarray(0, 5000), shared.subarray(5000), randomBytes(130), shared.subarray(7, 8), new Uint8Array(0)]
    expect(digestAll(digestInto, inputs)).toEqual(inputs.map(nodeHex))
    expect(singles).toBe(1) // 5 inputs: four lanes, and the shortest on the scalar hash
    expect(digestAll(digestInto, inputs.slice(0, 4))).toEqual(inputs.slice(0, 4).map(nodeHex))
    expect(singles).toBe(1)
  })

  it('writes digests only where asked and checks the output size', () => {
    const digestInto = createSha256x4Driver(kernel)
    const out = new Uint8Array(100).fill(0xee)
    digestInto([ascii('abc')], out.subarray(10, 42))
    expect(hex(out.subarray(10, 42))).toBe(nodeHex(ascii('abc')))
    expect(out[9]).toBe(0xee)
    expect(out[42]).toBe(0xee)
    expect(() => { digestInto([ascii('a'), ascii('b')], new Uint8Array(63)) }).toThrow(RangeError)
  })
})

describe('loadWasmSimdBackend', () => {
  it('hashes batches with the kernel and single inputs with hash-wasm, into independent buffers', async () => {
    const backend = await loadWasmSimdBackend()
    expect(backend.name).toBe('wasm-simd')
    const inputs = [ascii('abc'), randomBytes(100_000), randomBytes(64), new Uint8Array(0), randomBytes(1)]
    const digests = backend.digestMany(inputs)
    expect(digests.map(hex)).toEqual(inputs.map(nodeHex))
    digests[0].fill(0)
    expect(hex(digests[1])).toBe(nodeHex(inputs[1]))
    expect(hex(backend.digest(inputs[1]))).toBe(nodeHex(inputs[1]))
    expect(backend.digestMany([inputs[2]]).map(hex)).toEqual([nodeHex(inputs[2])])
  })
})
