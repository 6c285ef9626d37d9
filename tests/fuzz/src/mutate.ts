// Mutations of valid inputs: most bugs hide next to what parses, not in uniform noise.
import { fc } from './fuzz.js'

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
