// Arbitraries of what travels on the wire: CIDs, strings within their byte limits, and every
// message type within WIRE_LIMITS; and helpers to compare decoded messages.
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { WIRE_LIMITS } from '@codio-chunk/protocol'
import type { WireMessage } from '@codio-chunk/interface'
import { fc } from './fuzz.js'

const utf8 = new TextEncoder()

/** Cuts `text` at a code point boundary so that its UTF-8 takes at most `maxBytes` bytes. */
function fitUtf8 (text: string, maxBytes: number): string {
  let bytes = 0
  let end = 0
  for (const char of text) {
    const point = char.codePointAt(0) as number
    const size = point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4
    if (bytes + size > maxBytes) break
    bytes += size
    end += char.length
  }
  return text.slice(0, end)
}

/** Well-formed strings of at most `maxBytes` bytes of UTF-8: mostly short, sometimes at the limit. */
export function wireString (maxBytes: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 30, arbitrary: fc.string({ unit: 'binary', maxLength: Math.max(1, Math.floor(maxBytes / 4)) }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: maxBytes, size: 'max' }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: maxBytes, size: 'max' }).map(s => fitUtf8(s, maxBytes)) }
  )
}

const u8 = fc.integer({ min: 0, max: 0xff })
const u16 = fc.oneof(fc.constantFrom(0, 1, 0xffff), fc.integer({ min: 0, max: 0xffff }))
const u32 = fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }))
/** A varint value as multiformats takes it: up to 2^53 - 1, mostly small. */
const code = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 0x3fff }), fc.maxSafeNat())
const digest32 = fc.uint8Array({ minLength: 32, maxLength: 32 })

/** CIDs as content ids are (CIDv0; CIDv1 raw or dag-pb, SHA-256 or BLAKE3) and as any CID can be, within 255 bytes. */
export const cidArbitrary: fc.Arbitrary<CID> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(0x55, 0x70), fc.constantFrom(0x12, 0x1e), digest32).map(([c, h, d]) => CID.createV1(c, createDigest(h, d))) as fc.Arbitrary<CID> },
  { weight: 2, arbitrary: digest32.map(d => CID.createV0(createDigest(0x12, d))) as fc.Arbitrary<CID> },
  { weight: 2, arbitrary: fc.tuple(code, code, fc.uint8Array({ maxLength: 200 })).map(([c, h, d]) => CID.createV1(c, createDigest(h, d))) as fc.Arbitrary<CID> }
)

/** A bitfield message: `ceil(chunkCount / 8)` bytes with the spare bits clear. */
const bitfield = fc.tuple(cidArbitrary, fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 40_000 }) }))
  .chain(([content, chunkCount]) => fc.uint8Array({ minLength: Math.ceil(chunkCount / 8), maxLength: Math.ceil(chunkCount / 8) }).map((bits): WireMessage => {
    const spare = bits.length * 8 - chunkCount
    if (spare > 0) bits[bits.length - 1] &= 0xff << spare
    return { type: 'bitfield', content, chunkCount, bits }
  }))

const addresses = fc.oneof(
  { weight: 50, arbitrary: fc.array(wireString(WIRE_LIMITS.maxAddressBytes), { maxLength: WIRE_LIMITS.maxAddresses }) },
  { weight: 1, arbitrary: fc.array(wireString(WIRE_LIMITS.maxAddressBytes), { maxLength: WIRE_LIMITS.maxAddresses, size: 'max' }) }
)
const reason = wireString(WIRE_LIMITS.maxReasonBytes)

/** A hello with any field values the wire can carry. */
export const helloArbitrary: fc.Arbitrary<WireMessage> = fc.record({
  type: fc.constant('hello' as const),
  version: fc.oneof(fc.constant(1), u8),
  peerId: wireString(WIRE_LIMITS.maxPeerIdBytes),
  maxFrameSize: u32,
  maxRequests: u16,
  addresses,
  agent: wireString(WIRE_LIMITS.maxAgentBytes)
})

/** Every message type, with every field anywhere in its range and within WIRE_LIMITS. */
export const messageArbitrary: fc.Arbitrary<WireMessage> = fc.oneof(
  helloArbitrary,
  fc.record({ type: fc.constant('goodbye' as const), code: u8, reason }) as fc.Arbitrary<WireMessage>,
  bitfield,
  fc.record({ type: fc.constant('have' as const), content: cidArbitrary, index: u32 }),
  fc.record({ type: fc.constantFrom('interested' as const, 'not-interested' as const), content: cidArbitrary }),
  fc.record({ type: fc.constantFrom('choke' as const, 'unchoke' as const) }),
  fc.record({ type: fc.constant('peers' as const), content: cidArbitrary, addresses }),
  fc.record({ type: fc.constant('request-chunk' as const), id: u32, content: cidArbitrary, index: u32 }),
  fc.record({ type: fc.constant('request-block' as const), id: u32, content: cidArbitrary, block: cidArbitrary }),
  fc.record({ type: fc.constant('data' as const), id: u32, bytes: fc.uint8Array({ maxLength: 4096 }) }),
  fc.record({ type: fc.constant('reject' as const), id: u32, code: u8, reason }) as fc.Arbitrary<WireMessage>,
  fc.record({ type: fc.constant('cancel' as const), id: u32 })
) as fc.Arbitrary<WireMessage>

/** Concatenates the parts of an encoded frame. */
export function concat (parts: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const part of parts) size += part.length
  const out = new Uint8Array(size)
  let p = 0
  for (const part of parts) {
    out.set(part, p)
    p += part.length
  }
  return out
}

/** A message as plain data for comparison: CIDs as their strings (and version), bytes as hex. */
export function plain (value: unknown): unknown {
  const cid = CID.asCID(value)
  if (cid !== null) return { cid: cid.toString(), version: cid.version }
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') }
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) out[key] = plain((value as Record<string, unknown>)[key])
    return out
  }
  return value
}

export function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}
