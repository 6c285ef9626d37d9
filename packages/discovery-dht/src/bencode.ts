/**
 * A small bencode codec (BEP 3) for what a remote sends: decoding never recurses deeper than a
 * limit, never allocates more than the input (byte strings are views into it), accepts only safe
 * integers, and reads dictionary keys as latin1 strings so re-encoding gives back the same bytes.
 * The DHT library decodes packets itself; this one decides first whether a packet may reach it.
 */

/** A decoded bencode value: byte string, integer, list or dictionary. */
export type BValue = Uint8Array | number | BValue[] | BDict
/** A decoded dictionary, keys in the order they came. */
export type BDict = Map<string, BValue>

/** The input is not bencode this codec accepts. */
export class BencodeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BencodeError'
  }
}

/** How strictly {@link decode} reads its input. */
export interface DecodeOptions {
  /** Deepest nesting of lists and dictionaries accepted (the top value is depth 1). Default 16. */
  maxDepth?: number
  /**
   * Require the canonical form: dictionary keys sorted and unique. Integers and lengths are
   * always canonical (no leading zeros, no `-0`). Default false (key order is tolerated, as other
   * DHT implementations tolerate it; a repeated key is still an error).
   */
  canonical?: boolean
}

const I = 0x69
const L = 0x6c
const D = 0x64
const E = 0x65
const COLON = 0x3a
const MINUS = 0x2d
const ZERO = 0x30
const NINE = 0x39
/** Digits of the largest safe integer (2^53 - 1 has 16). */
const MAX_INTEGER_DIGITS = 16

/**
 * Decodes exactly one bencoded value that spans all of `bytes`. Throws {@link BencodeError} for
 * anything else: truncated input, trailing bytes, a length beyond the input, an integer outside
 * the safe range, nesting deeper than `maxDepth`, a repeated key (or, with `canonical`, unsorted
 * keys).
 *
 * @example
 * ```ts
 * import { decode } from './bencode.js'
 * const value = decode(new TextEncoder().encode('d1:ai42e1:bl3:xyzee'))
 * // Map { 'a' => 42, 'b' => [ Uint8Array(3) ] }
 * ```
 */
export function decode (bytes: Uint8Array, options: DecodeOptions = {}): BValue {
  const reader = new Reader(bytes, options.maxDepth ?? 16, options.canonical === true)
  const value = reader.value(1)
  if (reader.offset !== bytes.length) throw new BencodeError(`${bytes.length - reader.offset} bytes after the value`)
  return value
}

class Reader {
  offset = 0

  constructor (readonly bytes: Uint8Array, readonly maxDepth: number, readonly canonical: boolean) {}

  value (depth: number): BValue {
    const byte = this.peek()
    if (byte === I) return this.integer()
    if (byte >= ZERO && byte <= NINE) return this.string()
    if (depth > this.maxDepth) throw new BencodeError(`nested deeper than ${this.maxDepth}`)
    if (byte === L) return this.list(depth)
    if (byte === D) return this.dict(depth)
    throw new BencodeError(`unexpected byte 0x${byte.toString(16)} at ${this.offset}`)
  }

  peek (): number {
    if (this.offset >= this.bytes.length) throw new BencodeError('truncated')
    return this.bytes[this.offset]
  }

  /** Reads a canonical decimal number up to `terminator`, leaving the offset after it. */
  number (terminator: number, signed: boolean): number {
    const start = this.offset
    let negative = false
    if (signed && this.peek() === MINUS) {
      negative = true
      this.offset++
    }
    const digitsStart = this.offset
    let value = 0
    while (true) {
      const byte = this.peek()
      if (byte === terminator) break
      if (byte < ZERO || byte > NINE) throw new BencodeError(`bad digit at ${this.offset}`)
      value = value * 10 + (byte - ZERO)
      this.offset++
      if (this.offset - digitsStart > MAX_INTEGER_DIGITS) throw new BencodeError(`number at ${start} is too long`)
    }
    const digits = this.offset - digitsStart
    if (digits === 0) throw new BencodeError(`empty number at ${start}`)
    if (digits > 1 && this.bytes[digitsStart] === ZERO) throw new BencodeError(`leading zero at ${start}`)
    if (negative && value === 0) throw new BencodeError(`negative zero at ${start}`)
    if (!Number.isSafeInteger(value)) throw new BencodeError(`number at ${start} is out of the safe range`)
    this.offset++ // the terminator
    return negative ? -value : value
  }

  integer (): number {
    this.offset++ // 'i'
    return this.number(E, true)
  }

  string (): Uint8Array {
    const length = this.number(COLON, false)
    if (length > this.bytes.length - this.offset) throw new BencodeError(`string of ${length} bytes is longer than the input`)
    const view = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    return view
  }

  list (depth: number): BValue[] {
    this.offset++ // 'l'
    const out: BValue[] = []
    while (this.peek() !== E) out.push(this.value(depth + 1))
    this.offset++
    return out
  }

  dict (depth: number): BDict {
    this.offset++ // 'd'
    const out: BDict = new Map()
    let previous: string | undefined
    while (this.peek() !== E) {
      const keyBytes = this.string()
      const key = latin1(keyBytes)
      if (out.has(key)) throw new BencodeError(`repeated key "${printable(key)}"`)
      if (this.canonical && previous !== undefined && !(key > previous)) throw new BencodeError(`key "${printable(key)}" is out of order`)
      previous = key
      out.set(key, this.value(depth + 1))
    }
    this.offset++
    return out
  }
}

/**
 * Encodes a value in canonical bencode (dictionary keys sorted). Strings given as JavaScript
 * strings are written as UTF-8; dictionary keys as latin1 (as {@link decode} reads them).
 *
 * @example
 * ```ts
 * import { encode } from './bencode.js'
 * new TextDecoder().decode(encode(new Map([['b', 1], ['a', ['x']]]))) // 'd1:al1:xe1:bi1ee'
 * ```
 */
export function encode (value: BValue | string): Uint8Array {
  const parts: Uint8Array[] = []
  write(value, parts)
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

const textEncoder = new TextEncoder()

function ascii (text: string): Uint8Array {
  return textEncoder.encode(text)
}

function write (value: BValue | string, parts: Uint8Array[]): void {
  if (typeof value === 'string') {
    const bytes = textEncoder.encode(value)
    parts.push(ascii(`${bytes.length}:`), bytes)
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new BencodeError(`${value} is not a safe integer`)
    parts.push(ascii(`i${value}e`))
  } else if (value instanceof Uint8Array) {
    parts.push(ascii(`${value.length}:`), value)
  } else if (Array.isArray(value)) {
    parts.push(ascii('l'))
    for (const item of value) write(item, parts)
    parts.push(ascii('e'))
  } else {
    parts.push(ascii('d'))
    for (const key of [...value.keys()].sort()) {
      const keyBytes = fromLatin1(key)
      parts.push(ascii(`${keyBytes.length}:`), keyBytes)
      write(value.get(key) as BValue, parts)
    }
    parts.push(ascii('e'))
  }
}

/** Bytes {@link encode} would produce for `value`, without producing them. */
export function encodedLength (value: BValue): number {
  if (typeof value === 'number') return String(value).length + 2
  if (value instanceof Uint8Array) return String(value.length).length + 1 + value.length
  if (Array.isArray(value)) {
    let length = 2
    for (const item of value) length += encodedLength(item)
    return length
  }
  let length = 2
  for (const [key, item] of value) length += String(key.length).length + 1 + key.length + encodedLength(item)
  return length
}

/** Reads bytes as latin1 (one character per byte), so any key round-trips. */
export function latin1 (bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i])
  return out
}

function fromLatin1 (text: string): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code > 0xff) throw new BencodeError('dictionary keys are byte strings (latin1 characters only)')
    out[i] = code
  }
  return out
}

function printable (text: string): string {
  const shown = text.length > 32 ? `${text.slice(0, 32)}…` : text
  return shown.replace(/[^\x20-\x7e]/g, '?')
}
