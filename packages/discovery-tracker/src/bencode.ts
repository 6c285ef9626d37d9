/**
 * A strict, bounded bencode decoder (BEP 3) for tracker answers. Written here rather than taken
 * from npm because `bencode` 4.0.1 loops forever, allocating, on a 4-byte input with a negative
 * string length (`l-3:`), which takes the process down; see the package README.
 *
 * Every length is checked against the bytes that remain, nesting is limited, the number of values
 * is limited, byte strings are views into the input (no copies), and dictionaries are `Map`s (a
 * key such as `__proto__` is just a key).
 */

/** A decoded bencode value. */
export type BencodeValue = number | Uint8Array | BencodeValue[] | BencodeDict
/** A decoded bencode dictionary, keys as latin1 strings. */
export type BencodeDict = Map<string, BencodeValue>

/** Limits of {@link decodeBencode}. */
export interface BencodeLimits {
  /** Deepest nesting of lists and dictionaries. Default 16 (a tracker answer needs 3). */
  maxDepth?: number
  /** Most values in the whole input. Default 50 000. */
  maxValues?: number
}

/** The input is not bencode, or goes past a limit. */
export class BencodeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BencodeError'
  }
}

const I = 0x69 // 'i'
const L = 0x6c // 'l'
const D = 0x64 // 'd'
const E = 0x65 // 'e'
const COLON = 0x3a
const MINUS = 0x2d
const ZERO = 0x30
const NINE = 0x39
/** Digits of an integer: 20 covers every 64-bit value (precision beyond 2^53 is lost, harmlessly here). */
const MAX_INTEGER_DIGITS = 20
/** Digits of a string length: inputs are far below 10^9 bytes. */
const MAX_LENGTH_DIGITS = 9

/**
 * Decodes one bencoded value that fills `bytes` (trailing ASCII whitespace is tolerated, anything
 * else after the value is an error). Throws {@link BencodeError}.
 *
 * @example
 * ```ts
 * const reply = decodeBencode(new TextEncoder().encode('d8:intervali1800ee')) as Map<string, unknown>
 * reply.get('interval') // 1800
 * ```
 */
export function decodeBencode (bytes: Uint8Array, limits: BencodeLimits = {}): BencodeValue {
  const decoder = new Decoder(bytes, limits.maxDepth ?? 16, limits.maxValues ?? 50_000)
  const value = decoder.value(0)
  for (let i = decoder.pos; i < bytes.length; i++) {
    if (!isWhitespace(bytes[i])) throw new BencodeError(`unexpected byte 0x${bytes[i].toString(16)} after the value at offset ${i}`)
  }
  return value
}

class Decoder {
  pos = 0
  private values = 0

  constructor (private readonly bytes: Uint8Array, private readonly maxDepth: number, private readonly maxValues: number) {}

  value (depth: number): BencodeValue {
    if (++this.values > this.maxValues) throw new BencodeError(`more than ${this.maxValues} values`)
    const byte = this.peek()
    if (byte === I) return this.integer()
    if (byte === L || byte === D) {
      if (depth >= this.maxDepth) throw new BencodeError(`nested deeper than ${this.maxDepth}`)
      return byte === L ? this.list(depth) : this.dict(depth)
    }
    if (byte >= ZERO && byte <= NINE) return this.string()
    throw new BencodeError(`unexpected byte 0x${byte.toString(16)} at offset ${this.pos}`)
  }

  private peek (): number {
    if (this.pos >= this.bytes.length) throw new BencodeError(`input ends at offset ${this.pos} inside a value`)
    return this.bytes[this.pos]
  }

  private integer (): number {
    this.pos++ // 'i'
    const negative = this.peek() === MINUS
    if (negative) this.pos++
    const start = this.pos
    const value = this.digits(MAX_INTEGER_DIGITS, E)
    const count = this.pos - start
    if (count > 1 && this.bytes[start] === ZERO) throw new BencodeError(`integer with a leading zero at offset ${start}`)
    if (negative && value === 0) throw new BencodeError(`negative zero at offset ${start}`)
    this.pos++ // 'e'
    return negative ? -value : value
  }

  /** Reads 1..max decimal digits up to `end` (not consumed). */
  private digits (max: number, end: number): number {
    let value = 0
    let count = 0
    for (;;) {
      const byte = this.peek()
      if (byte === end && count > 0) return value
      if (byte < ZERO || byte > NINE) throw new BencodeError(`expected a digit at offset ${this.pos}`)
      if (++count > max) throw new BencodeError(`number longer than ${max} digits at offset ${this.pos}`)
      value = value * 10 + (byte - ZERO)
      this.pos++
    }
  }

  private string (): Uint8Array {
    const start = this.pos
    const length = this.digits(MAX_LENGTH_DIGITS, COLON)
    if (this.pos - start > 1 && this.bytes[start] === ZERO) throw new BencodeError(`string length with a leading zero at offset ${start}`)
    this.pos++ // ':'
    if (length > this.bytes.length - this.pos) throw new BencodeError(`string of ${length} bytes at offset ${start} runs past the end of the input`)
    const value = this.bytes.subarray(this.pos, this.pos + length)
    this.pos += length
    return value
  }

  private list (depth: number): BencodeValue[] {
    this.pos++ // 'l'
    const items: BencodeValue[] = []
    while (this.peek() !== E) items.push(this.value(depth + 1))
    this.pos++
    return items
  }

  private dict (depth: number): BencodeDict {
    this.pos++ // 'd'
    const dict: BencodeDict = new Map()
    while (this.peek() !== E) {
      if (this.bytes[this.pos] < ZERO || this.bytes[this.pos] > NINE) throw new BencodeError(`dictionary key is not a string at offset ${this.pos}`)
      if (++this.values > this.maxValues) throw new BencodeError(`more than ${this.maxValues} values`)
      const key = latin1(this.string())
      const value = this.value(depth + 1)
      if (!dict.has(key)) dict.set(key, value)
    }
    this.pos++
    return dict
  }
}

function isWhitespace (byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

/** Bytes as a latin1 string: one character per byte, never a replacement character. */
export function latin1 (bytes: Uint8Array): string {
  let text = ''
  for (let i = 0; i < bytes.length; i += 4096) text += String.fromCharCode(...bytes.subarray(i, i + 4096))
  return text
}
