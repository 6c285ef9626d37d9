// Mutations of real inputs (stored manifests, DAG blocks, a store's files): what a disk fault, an
// interrupted copy, an editor or a hostile peer does to bytes that were once valid. Positions are
// taken modulo the input's length, so one mutation applies to an input of any size.
import { fc } from './fuzz.js'

/** One change to a byte string. */
export type Mutation =
  | { op: 'flip', at: number, mask: number }
  | { op: 'set-u32', at: number, value: number }
  | { op: 'truncate', at: number }
  | { op: 'zero', at: number, length: number }
  | { op: 'insert', at: number, bytes: Uint8Array }
  | { op: 'delete', at: number, length: number }
  | { op: 'append', bytes: Uint8Array }
  | { op: 'replace', bytes: Uint8Array }

/** 32-bit values a length or count field is most interesting set to, besides any other. */
const U32 = fc.oneof(
  fc.constantFrom(0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 1024, 4 * 1024 * 1024, 4 * 1024 * 1024 + 65, 2 ** 24, 2 ** 30, 2 ** 31, 0xffffffff),
  fc.nat({ max: 0xffffffff })
)

/** Any one mutation; `maxBytes` bounds the bytes an insert, append or replace brings. */
export function mutation (maxBytes = 64): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ op: fc.constant('set-u32' as const), at: fc.nat(), value: U32 }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('zero' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4096 }) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: maxBytes }) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ op: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: maxBytes }) }),
    fc.record({ op: fc.constant('replace' as const), bytes: fc.uint8Array({ maxLength: maxBytes }) })
  )
}

/** `bytes` with `mutations` applied in order (a new array; `bytes` is left alone). */
export function mutate (bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out: Uint8Array = bytes.slice()
  for (const m of mutations) out = apply(out, m)
  return out
}

function apply (bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length
  switch (m.op) {
    case 'flip': {
      if (n === 0) return bytes
      bytes[m.at % n] ^= m.mask
      return bytes
    }
    case 'set-u32': {
      if (n < 4) return bytes
      new DataView(bytes.buffer, bytes.byteOffset, n).setUint32(m.at % (n - 3), m.value)
      return bytes
    }
    case 'truncate': return bytes.slice(0, n === 0 ? 0 : m.at % n)
    case 'zero': {
      if (n === 0) return bytes
      const at = m.at % n
      bytes.fill(0, at, Math.min(n, at + m.length))
      return bytes
    }
    case 'insert': {
      const at = m.at % (n + 1)
      const out = new Uint8Array(n + m.bytes.length)
      out.set(bytes.subarray(0, at))
      out.set(m.bytes, at)
      out.set(bytes.subarray(at), at + m.bytes.length)
      return out
    }
    case 'delete': {
      if (n === 0) return bytes
      const at = m.at % n
      const out = new Uint8Array(n - Math.min(m.length, n - at))
      out.set(bytes.subarray(0, at))
      out.set(bytes.subarray(at + m.length), at)
      return out
    }
    case 'append': {
      const out = new Uint8Array(n + m.bytes.length)
      out.set(bytes)
      out.set(m.bytes, n)
      return out
    }
    case 'replace': return m.bytes.slice()
  }
}

// Lighter edits of valid inputs for the wire targets: most bugs hide next to what parses.

/** One edit of a byte array: flip bits, set a byte, insert, delete, truncate, append. */
type ByteEdit = [kind: number, at: number, value: number]

const byteEdit: fc.Arbitrary<ByteEdit> = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.nat(), fc.integer({ min: 0, max: 255 }))

function applyByteEdit (bytes: number[], [kind, at, value]: ByteEdit): void {
  const i = bytes.length === 0 ? 0 : at % bytes.length
  switch (kind) {
    case 0: if (bytes.length > 0) bytes[i] ^= 1 << (value & 7); break
    case 1: if (bytes.length > 0) bytes[i] = value; break
    case 2: bytes.splice(at % (bytes.length + 1), 0, value); break
    case 3: bytes.splice(i, 1); break
    case 4: bytes.length = at % (bytes.length + 1); break
    default: bytes.push(value)
  }
}

/** `base` (one of `bases`) with a few random edits. */
export function mutatedBytes (bases: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.constantFrom(...bases), fc.array(byteEdit, { minLength: 1, maxLength: 4 })).map(([base, edits]) => {
    const bytes = [...base]
    for (const edit of edits) applyByteEdit(bytes, edit)
    return Uint8Array.from(bytes)
  })
}

/** One edit of a string: replace, insert or delete a character (from `alphabet` or anything), truncate, change case. */
type TextEdit = [kind: number, at: number, char: string]

function applyTextEdit (text: string, [kind, at, char]: TextEdit): string {
  const i = text.length === 0 ? 0 : at % text.length
  switch (kind) {
    case 0: return text.slice(0, i) + char + text.slice(i + 1)
    case 1: return text.slice(0, at % (text.length + 1)) + char + text.slice(at % (text.length + 1))
    case 2: return text.slice(0, i) + text.slice(i + 1)
    case 3: return text.slice(0, at % (text.length + 1))
    case 4: return text.slice(0, i) + (text[i] ?? '').toUpperCase() + text.slice(i + 1)
    default: return text + char
  }
}

/** `base` (one of `bases`) with a few edits, the characters inserted mostly from `alphabet`. */
export function mutatedText (bases: readonly string[], alphabet: string): fc.Arbitrary<string> {
  const char = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...alphabet) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }
  )
  const edit: fc.Arbitrary<TextEdit> = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.nat(), char)
  return fc.tuple(fc.constantFrom(...bases), fc.array(edit, { minLength: 1, maxLength: 3 })).map(([base, edits]) => {
    let text = base
    for (const e of edits) text = applyTextEdit(text, e)
    return text
  })
}
