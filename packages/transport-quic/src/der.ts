/**
 * The few DER (ASN.1 Distinguished Encoding Rules) encoders a self-signed X.509 certificate needs.
 * Each returns the complete TLV (tag, length, value) as bytes.
 */

/** DER tag bytes used by the certificate builder. */
export const Tag = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  sequence: 0x30,
  set: 0x31,
  utcTime: 0x17,
  generalizedTime: 0x18
} as const

/** A tag-length-value element with the given tag and contents. */
export function tlv (tag: number, ...contents: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of contents) length += part.length
  const head = lengthBytes(length)
  const out = new Uint8Array(1 + head.length + length)
  out[0] = tag
  out.set(head, 1)
  let p = 1 + head.length
  for (const part of contents) {
    out.set(part, p)
    p += part.length
  }
  return out
}

/** A SEQUENCE of already-encoded elements. */
export function sequence (...elements: Uint8Array[]): Uint8Array {
  return tlv(Tag.sequence, ...elements)
}

/** A context-specific constructed (EXPLICIT) tag `[n]` around one element. */
export function explicit (n: number, element: Uint8Array): Uint8Array {
  return tlv(0xa0 | n, element)
}

/** An OBJECT IDENTIFIER from its dotted form, e.g. `1.3.101.112`. */
export function oid (dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number)
  const bytes: number[] = [arcs[0] * 40 + arcs[1]]
  for (const arc of arcs.slice(2)) {
    const groups: number[] = []
    let value = arc
    do {
      groups.unshift(value & 0x7f)
      value = Math.floor(value / 128)
    } while (value > 0)
    for (let i = 0; i < groups.length - 1; i++) groups[i] |= 0x80
    bytes.push(...groups)
  }
  return tlv(Tag.oid, Uint8Array.from(bytes))
}

/** A non-negative INTEGER from its big-endian magnitude (a leading zero is added when needed). */
export function unsignedInteger (magnitude: Uint8Array): Uint8Array {
  let start = 0
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++
  const trimmed = magnitude.subarray(start)
  return (trimmed[0] & 0x80) !== 0 ? tlv(Tag.integer, Uint8Array.of(0), trimmed) : tlv(Tag.integer, trimmed)
}

/** A small non-negative INTEGER. */
export function smallInteger (value: number): Uint8Array {
  return unsignedInteger(Uint8Array.of(value))
}

/** A BIT STRING with no unused bits. */
export function bitString (bytes: Uint8Array): Uint8Array {
  return tlv(Tag.bitString, Uint8Array.of(0), bytes)
}

/** A UTF8String. */
export function utf8String (text: string): Uint8Array {
  return tlv(Tag.utf8String, new TextEncoder().encode(text))
}

/** An X.509 Time: UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280, 4.1.2.5). */
export function time (date: Date): Uint8Array {
  const year = date.getUTCFullYear()
  const two = (n: number): string => String(n).padStart(2, '0')
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`
  if (year >= 1950 && year < 2050) return tlv(Tag.utcTime, new TextEncoder().encode(`${two(year % 100)}${rest}`))
  return tlv(Tag.generalizedTime, new TextEncoder().encode(`${String(year).padStart(4, '0')}${rest}`))
}

function lengthBytes (length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length)
  const bytes: number[] = []
  for (let value = length; value > 0; value = Math.floor(value / 256)) bytes.unshift(value & 0xff)
  return Uint8Array.from([0x80 | bytes.length, ...bytes])
}
