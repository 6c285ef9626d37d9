import { afterAll, describe, expect, it } from 'vitest'
import type { Verifier } from '@codio-chunk/interface'
import { testBytes as bytesOf } from './storage.js'

const KiB = 1024
/** Lengths around the 64-byte block and padding boundaries, plus chunk-sized inputs. */
const MIXED_LENGTHS = [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 16 * KiB + 1, 256 * KiB, 256 * KiB + 1]

/** Copies into a plain Uint8Array so Buffer and Uint8Array results compare equal. */
const plain = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes)

/**
 * The compliance suite every {@link Verifier} runs. `factory` makes a verifier (called once per
 * test; `close()` is called on each if present); `reference` is a trusted implementation of the same
 * hash, e.g. `node:crypto`, returning the raw digest.
 *
 * It checks: `name`, `code` and `digestLength`; `digest()` of empty, small, large and offset-view
 * inputs against the reference; `digestMany()` against `digest()` and the reference for mixed
 * lengths (0, 1, 63, 64, 65, … 256 KiB + 1) and for `[]`; that every output is an independent buffer
 * (later calls never change an earlier result); concurrent calls; and `AbortError` for an aborted
 * signal.
 *
 * @example
 * ```ts
 * // test/compliance.test.ts of a verifier plugin
 * import { createHash } from 'node:crypto'
 * import { verifierComplianceSuite } from '@codio-chunk/interface-tests/verifier'
 * import { myVerifier } from '../src/index.js'
 *
 * verifierComplianceSuite('my-sha256', () => myVerifier(),
 *   (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest()))
 * ```
 */
export function verifierComplianceSuite (name: string, factory: () => Verifier, reference: (bytes: Uint8Array) => Uint8Array): void {
  describe(`${name} verifier compliance`, () => {
    const made: Verifier[] = []
    const make = (): Verifier => {
      const verifier = factory()
      made.push(verifier)
      return verifier
    }
    const expected = (bytes: Uint8Array): Uint8Array => plain(reference(bytes))

    afterAll(async () => {
      await Promise.all(made.map(async verifier => { await verifier.close?.() }))
    })

    it('has a name, a multihash code and a digest length that matches its output', async () => {
      const verifier = make()
      expect(typeof verifier.name).toBe('string')
      expect(verifier.name.length).toBeGreaterThan(0)
      expect(Number.isInteger(verifier.code)).toBe(true)
      expect(verifier.code).toBeGreaterThan(0)
      expect(verifier.digestLength).toBe(reference(new Uint8Array(0)).byteLength)
      const digest = await verifier.digest(new Uint8Array(0))
      expect(digest).toBeInstanceOf(Uint8Array)
      expect(digest.byteLength).toBe(verifier.digestLength)
    })

    it('digests empty, small and large inputs like the reference', async () => {
      const verifier = make()
      const inputs = [
        new Uint8Array(0),
        new TextEncoder().encode('abc'),
        new TextEncoder().encode('hello world\n'),
        bytesOf(256 * KiB, 5),
        bytesOf(4 * 1024 * KiB + 7, 6)
      ]
      for (const input of inputs) {
        expect(plain(await verifier.digest(input))).toEqual(expected(input))
      }
    })

    it('digests only the bytes of a view, not the rest of its buffer', async () => {
      const verifier = make()
      const backing = bytesOf(10_000, 9)
      for (const [start, end] of [[1, 1], [1, 2], [3, 70], [17, 9_999], [4096, 10_000]]) {
        const view = backing.subarray(start, end)
        expect(plain(await verifier.digest(view))).toEqual(expected(view))
      }
      const many = await verifier.digestMany([backing.subarray(5, 6000), backing.subarray(6000)])
      expect(plain(many[0])).toEqual(expected(backing.subarray(5, 6000)))
      expect(plain(many[1])).toEqual(expected(backing.subarray(6000)))
    })

    it('digestMany matches digest and the reference for mixed lengths, in order', async () => {
      const verifier = make()
      const inputs = MIXED_LENGTHS.map((length, i) => bytesOf(length, 100 + i))
      const many = await verifier.digestMany(inputs)
      expect(many.length).toBe(inputs.length)
      for (let i = 0; i < inputs.length; i++) {
        expect(many[i].byteLength).toBe(verifier.digestLength)
        expect(plain(many[i])).toEqual(expected(inputs[i]))
        expect(plain(many[i])).toEqual(plain(await verifier.digest(inputs[i])))
      }
    })

    it('digestMany of no inputs is an empty array', async () => {
      expect(await make().digestMany([])).toEqual([])
    })

    it('returns independent buffers that later calls never change', async () => {
      const verifier = make()
      const a = bytesOf(1000, 1)
      const b = bytesOf(1000, 2)
      const first = await verifier.digest(a)
      const firstCopy = plain(first)
      await verifier.digest(b)
      await verifier.digestMany([b, a, b])
      expect(plain(first)).toEqual(firstCopy)

      const many = await verifier.digestMany([a, a, b])
      expect(many[0]).not.toBe(many[1])
      many[0].fill(0)
      expect(plain(many[1])).toEqual(expected(a))
      expect(plain(many[2])).toEqual(expected(b))
      const again = await verifier.digest(a)
      expect(plain(again)).toEqual(expected(a))
      expect(plain(many[0])).toEqual(new Uint8Array(verifier.digestLength))
    })

    it('handles concurrent calls', async () => {
      const verifier = make()
      const inputs = MIXED_LENGTHS.map((length, i) => bytesOf(length, 200 + i))
      const results = await Promise.all([
        ...inputs.map(async input => await verifier.digest(input)),
        verifier.digestMany(inputs),
        verifier.digestMany([...inputs].reverse())
      ])
      const singles = results.slice(0, inputs.length) as Uint8Array[]
      const forward = results[inputs.length] as Uint8Array[]
      const backward = results[inputs.length + 1] as Uint8Array[]
      inputs.forEach((input, i) => {
        const want = expected(input)
        expect(plain(singles[i])).toEqual(want)
        expect(plain(forward[i])).toEqual(want)
        expect(plain(backward[inputs.length - 1 - i])).toEqual(want)
      })
    })

    it('rejects digestMany with AbortError when the signal is aborted', async () => {
      const verifier = make()
      await expect(verifier.digestMany([bytesOf(100, 1)], { signal: AbortSignal.abort() }))
        .rejects.toMatchObject({ name: 'AbortError' })
      // The verifier still works afterwards.
      const [digest] = await verifier.digestMany([bytesOf(100, 1)])
      expect(plain(digest)).toEqual(expected(bytesOf(100, 1)))
    })
  })
}
