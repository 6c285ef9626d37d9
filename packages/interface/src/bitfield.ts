/**
 * A fixed-length set of chunk indices, stored as in BitTorrent's bitfield message: bit 7 of byte 0
 * is chunk 0. Spare bits past `length` are always zero.
 *
 * @example
 * ```ts
 * import { Bitfield } from '@codio-chunk/core'
 * const have = new Bitfield(10)
 * have.set(3)
 * have.get(3)        // true
 * have.count         // 1
 * have.nextSet(0)    // 3
 * ```
 */
export class Bitfield {
  /** Number of chunks the bitfield describes. */
  readonly length: number
  private readonly bytes: Uint8Array
  private setCount = 0

  constructor (length: number) {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`Bitfield length must be a non-negative integer, got ${length}`)
    this.length = length
    this.bytes = new Uint8Array(Math.ceil(length / 8))
  }

  /**
   * Reads a bitfield of `length` bits from its byte form. Throws `RangeError` if the byte count is
   * wrong or a spare bit is set (a malformed bitfield from a peer).
   */
  static fromBytes (length: number, bytes: Uint8Array): Bitfield {
    const field = new Bitfield(length)
    if (bytes.length !== field.bytes.length) {
      throw new RangeError(`A bitfield of ${length} chunks takes ${field.bytes.length} bytes, got ${bytes.length}`)
    }
    const spare = field.bytes.length * 8 - length
    if (spare > 0 && (bytes[bytes.length - 1] & ((1 << spare) - 1)) !== 0) {
      throw new RangeError('Bitfield has bits set past its last chunk')
    }
    field.bytes.set(bytes)
    let count = 0
    for (let i = 0; i < bytes.length; i++) count += POPCOUNT[bytes[i]]
    field.setCount = count
    return field
  }

  /** A bitfield with every chunk set. */
  static full (length: number): Bitfield {
    const field = new Bitfield(length)
    field.bytes.fill(0xff)
    const spare = field.bytes.length * 8 - length
    if (spare > 0) field.bytes[field.bytes.length - 1] = (0xff << spare) & 0xff
    field.setCount = length
    return field
  }

  /** How many chunks are set. */
  get count (): number { return this.setCount }

  /** True when every chunk is set. */
  get complete (): boolean { return this.setCount === this.length }

  get (index: number): boolean {
    if (index < 0 || index >= this.length) return false
    return (this.bytes[index >> 3] & (0x80 >> (index & 7))) !== 0
  }

  /** Sets or clears chunk `index`. Returns true if the bit changed. */
  set (index: number, value = true): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) throw new RangeError(`Chunk index ${index} is out of range 0..${this.length - 1}`)
    const mask = 0x80 >> (index & 7)
    const byte = this.bytes[index >> 3]
    const was = (byte & mask) !== 0
    if (was === value) return false
    this.bytes[index >> 3] = value ? byte | mask : byte & ~mask
    this.setCount += value ? 1 : -1
    return true
  }

  /** The first set index `>= from`, or -1. Skips empty bytes eight chunks at a time. */
  nextSet (from = 0): number {
    if (from < 0) from = 0
    if (from >= this.length) return -1
    let byteIndex = from >> 3
    let byte = this.bytes[byteIndex] & (0xff >> (from & 7))
    while (byte === 0) {
      byteIndex++
      if (byteIndex >= this.bytes.length) return -1
      byte = this.bytes[byteIndex]
    }
    return (byteIndex << 3) + Math.clz32(byte) - 24
  }

  /** The first clear index `>= from`, or -1. */
  nextClear (from = 0): number {
    if (from < 0) from = 0
    if (from >= this.length) return -1
    let byteIndex = from >> 3
    let byte = (~this.bytes[byteIndex] & 0xff) & (0xff >> (from & 7))
    while (byte === 0) {
      byteIndex++
      if (byteIndex >= this.bytes.length) return -1
      byte = ~this.bytes[byteIndex] & 0xff
    }
    const index = (byteIndex << 3) + Math.clz32(byte) - 24
    return index < this.length ? index : -1
  }

  /** A copy of the byte form (safe to send or store). */
  toBytes (): Uint8Array {
    return this.bytes.slice()
  }

  clone (): Bitfield {
    return Bitfield.fromBytes(this.length, this.bytes)
  }

  /** Iterates the set indices in ascending order. */
  * [Symbol.iterator] (): IterableIterator<number> {
    for (let i = this.nextSet(0); i !== -1; i = this.nextSet(i + 1)) yield i
  }
}

const POPCOUNT = new Uint8Array(256)
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]
