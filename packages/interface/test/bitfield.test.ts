import { describe, expect, it } from 'vitest'
import { Bitfield } from '../src/index.js'

/** The indices a bitfield holds, by reading every bit. */
function members (bits: Bitfield): number[] {
  const out: number[] = []
  for (let i = 0; i < bits.length; i++) if (bits.get(i)) out.push(i)
  return out
}

describe('Bitfield', () => {
  it('lays bits out as BitTorrent does: bit 7 of byte 0 is chunk 0', () => {
    const bits = new Bitfield(11)
    bits.set(0)
    bits.set(9)
    expect(Array.from(bits.toBytes())).toEqual([0x80, 0x40])
    expect(Bitfield.fromBytes(11, Uint8Array.of(0x80, 0x40)).count).toBe(2)
  })

  it('counts, iterates and searches like a plain set, against a model', () => {
    const length = 1000
    const bits = new Bitfield(length)
    const model = new Set<number>()
    let seed = 7
    for (let step = 0; step < 5000; step++) {
      seed = (seed * 1103515245 + 12345) >>> 0
      const index = seed % length
      const value = (seed >>> 16) % 3 !== 0
      expect(bits.set(index, value)).toBe(model.has(index) !== value)
      if (value) model.add(index)
      else model.delete(index)
    }
    const sorted = [...model].sort((a, b) => a - b)
    expect(bits.count).toBe(model.size)
    expect([...bits]).toEqual(sorted)
    expect(members(bits)).toEqual(sorted)
    for (const from of [0, 1, 7, 8, 63, 500, 999, 1000]) {
      expect(bits.nextSet(from)).toBe(sorted.find(i => i >= from) ?? -1)
      let clear = -1
      for (let i = from; i < length; i++) if (!model.has(i)) { clear = i; break }
      expect(bits.nextClear(from)).toBe(clear)
    }
    expect(members(Bitfield.fromBytes(length, bits.toBytes()))).toEqual(sorted)
    expect(members(bits.clone())).toEqual(sorted)
  })

  it('knows when it is complete, and full() makes a complete one', () => {
    const bits = Bitfield.full(13)
    expect(bits.complete).toBe(true)
    expect(bits.count).toBe(13)
    expect(bits.nextClear(0)).toBe(-1)
    bits.set(12, false)
    expect(bits.complete).toBe(false)
    expect(bits.nextClear(0)).toBe(12)
    expect(new Bitfield(0).complete).toBe(true)
  })

  it('refuses malformed byte forms from peers: wrong length, spare bits set', () => {
    expect(() => Bitfield.fromBytes(11, new Uint8Array(1))).toThrow(RangeError)
    expect(() => Bitfield.fromBytes(11, new Uint8Array(3))).toThrow(RangeError)
    expect(() => Bitfield.fromBytes(11, Uint8Array.of(0, 0x01))).toThrow(RangeError)
    expect(() => new Bitfield(-1)).toThrow(RangeError)
    expect(() => new Bitfield(1.5)).toThrow(RangeError)
  })

  it('refuses indices out of range when setting, and reads them as absent', () => {
    const bits = new Bitfield(8)
    expect(() => bits.set(8)).toThrow(RangeError)
    expect(() => bits.set(-1)).toThrow(RangeError)
    expect(() => bits.set(0.5)).toThrow(RangeError)
    expect(bits.get(8)).toBe(false)
    expect(bits.get(-1)).toBe(false)
  })

  it('hands out copies of its bytes', () => {
    const bits = new Bitfield(8)
    const bytes = bits.toBytes()
    bytes[0] = 0xff
    expect(bits.count).toBe(0)
  })
})
