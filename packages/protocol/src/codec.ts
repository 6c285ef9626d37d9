import { CID } from 'multiformats/cid'
import { ProtocolError } from '@codio-chunk/interface'
import { decodeCid } from './cid-cache.js'
import { MessageType } from '@codio-chunk/interface'
import type { GoodbyeCode, RejectCode, WireMessage } from '@codio-chunk/interface'

/** The four bytes `CDCK` that open every `hello` payload. */
export const HELLO_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x43, 0x44, 0x43, 0x4b)

/** Size of the big-endian `u32` length that precedes every frame. */
export const FRAME_PREFIX_SIZE = 4

/** Size limits of variable-length message fields (bytes of UTF-8 for strings). */
export const WIRE_LIMITS = Object.freeze({
  /** Most addresses in a `hello` or `peers` message. */
  maxAddresses: 32,
  /** Longest address string. */
  maxAddressBytes: 1024,
  /** Longest peer id in `hello`. */
  maxPeerIdBytes: 256,
  /** Longest agent string in `hello`. */
  maxAgentBytes: 256,
  /** Longest reason in `goodbye` and `reject` (longer reasons are truncated when encoding). */
  maxReasonBytes: 1024,
  /** Longest binary CID (its length travels in one byte). */
  maxCidBytes: 255,
  /**
   * Smallest `maxFrameSize` a hello may announce (64 KiB, PROTOCOL.md section 4); a hello
   * announcing less is refused. It is the smallest power of two above what every peer must be able
   * to take: every message other than `data` and `bitfield` at its limits (the largest, a hello or
   * `peers` message with 32 addresses of 1024 bytes, is a frame of 33,361 bytes), a bitfield of up
   * to 522,200 chunks, a manifest node of the reference layout (174 links, under 10 KiB) and the
   * answer to a request for the smallest chunk (1 KiB: a 1,040-byte frame as a CIDv0 leaf block).
   */
  minMaxFrameSize: 64 * 1024,
  /** Smallest `maxRequests` a hello may announce: a peer that serves no request at once serves nothing. */
  minMaxRequests: 1
})

const U32_MAX = 0xffffffff
const utf8 = new TextEncoder()
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

type MessageName = WireMessage['type']
const TYPE_NAMES: Array<MessageName | undefined> = new Array(256).fill(undefined)
for (const [name, byte] of Object.entries(MessageType)) TYPE_NAMES[byte] = name as MessageName

/**
 * Encodes a message as one frame: `u32` big-endian length (type byte + payload), `u8` type,
 * payload. Returns the frame as parts for a vectored write: a `data` message is
 * `[header, bytes]` where `bytes` is the caller's buffer itself (never copied); every other
 * message is one buffer. Throws `ProtocolError` if a field is out of range (an index that is not
 * a u32, a bitfield whose size does not match `chunkCount`, too many addresses…).
 *
 * @example
 * ```ts
 * import { encodeMessage, ContentId } from '@codio-chunk/core'
 * const content = ContentId.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o').cid
 * const parts = encodeMessage({ type: 'request-chunk', id: 1, content, index: 0 })
 * parts.length   // 1
 * const data = encodeMessage({ type: 'data', id: 1, bytes: new Uint8Array(262144) })
 * data.length    // 2: the 9-byte header and the chunk itself
 * ```
 */
export function encodeMessage (message: WireMessage): Uint8Array[] {
  const type = message.type
  switch (type) {
    case 'data': {
      const bytes = message.bytes
      if (!(bytes instanceof Uint8Array)) throw encodeError(type, 'bytes must be a Uint8Array')
      return [new Writer(type, 4, bytes.length).int(message.id, 4, 'id').finish(), bytes]
    }
    case 'request-chunk': {
      const content = cidBytes(message.content, type, 'content')
      return [new Writer(type, 9 + content.length).int(message.id, 4, 'id').cid(content).int(message.index, 4, 'index').finish()]
    }
    case 'request-block': {
      const content = cidBytes(message.content, type, 'content')
      const block = cidBytes(message.block, type, 'block')
      return [new Writer(type, 6 + content.length + block.length).int(message.id, 4, 'id').cid(content).cid(block).finish()]
    }
    case 'cancel':
      return [new Writer(type, 4).int(message.id, 4, 'id').finish()]
    case 'reject': {
      const reason = reasonBytes(message.reason, type)
      return [new Writer(type, 7 + reason.length).int(message.id, 4, 'id').int(message.code, 1, 'code').str(reason).finish()]
    }
    case 'have': {
      const content = cidBytes(message.content, type, 'content')
      return [new Writer(type, 5 + content.length).cid(content).int(message.index, 4, 'index').finish()]
    }
    case 'bitfield': {
      const content = cidBytes(message.content, type, 'content')
      const bits = message.bits
      if (!(bits instanceof Uint8Array)) throw encodeError(type, 'bits must be a Uint8Array')
      checkUint(message.chunkCount, 4, type, 'chunkCount')
      checkBits(message.chunkCount, bits, (why) => encodeError(type, why))
      return [new Writer(type, 5 + content.length + bits.length).cid(content).int(message.chunkCount, 4, 'chunkCount').raw(bits).finish()]
    }
    case 'interested':
    case 'not-interested': {
      const content = cidBytes(message.content, type, 'content')
      return [new Writer(type, 1 + content.length).cid(content).finish()]
    }
    case 'choke':
    case 'unchoke':
      return [new Writer(type, 0).finish()]
    case 'peers': {
      const content = cidBytes(message.content, type, 'content')
      const addresses = addressBytes(message.addresses, type)
      return [new Writer(type, 1 + content.length + sizeOfList(addresses)).cid(content).list(addresses).finish()]
    }
    case 'hello': {
      const peerId = stringBytes(message.peerId, type, 'peerId', WIRE_LIMITS.maxPeerIdBytes)
      const agent = stringBytes(message.agent, type, 'agent', WIRE_LIMITS.maxAgentBytes)
      const addresses = addressBytes(message.addresses, type)
      return [new Writer(type, 15 + peerId.length + sizeOfList(addresses) + agent.length)
        .raw(HELLO_MAGIC).int(message.version, 1, 'version').str(peerId)
        .int(message.maxFrameSize, 4, 'maxFrameSize').int(message.maxRequests, 2, 'maxRequests')
        .list(addresses).str(agent).finish()]
    }
    case 'goodbye': {
      const reason = reasonBytes(message.reason, type)
      return [new Writer(type, 3 + reason.length).int(message.code, 1, 'code').str(reason).finish()]
    }
    default:
      throw encodeError(String(type), 'unknown message type')
  }
}

/**
 * Bytes the message occupies on the wire, length prefix included. Cheap for every message that
 * carries no strings (`data`, requests, `have`, `bitfield`…).
 *
 * @example
 * ```ts
 * import { messageSize } from '@codio-chunk/core'
 * messageSize({ type: 'data', id: 7, bytes: new Uint8Array(1000) })   // 4 + 1 + 4 + 1000
 * messageSize({ type: 'choke' })                                      // 5
 * ```
 */
export function messageSize (message: WireMessage): number {
  const head = FRAME_PREFIX_SIZE + 1
  switch (message.type) {
    case 'data': return head + 4 + message.bytes.length
    case 'request-chunk': return head + 4 + 1 + message.content.bytes.length + 4
    case 'request-block': return head + 4 + 2 + message.content.bytes.length + message.block.bytes.length
    case 'cancel': return head + 4
    case 'have': return head + 1 + message.content.bytes.length + 4
    case 'bitfield': return head + 1 + message.content.bytes.length + 4 + message.bits.length
    case 'interested':
    case 'not-interested': return head + 1 + message.content.bytes.length
    case 'choke':
    case 'unchoke': return head
    default: {
      let size = 0
      for (const part of encodeMessage(message)) size += part.length
      return size
    }
  }
}

/**
 * Decodes one frame: the type byte and payload, without the length prefix. A `data` message's
 * `bytes` is a view into `frame` (no copy); nothing else in a message refers to `frame`'s memory
 * (CIDs and bitfield bits are copies, strings are decoded), so a message kept longer than its frame
 * keeps only its own bytes alive. Any malformed frame — unknown type, truncated field, trailing
 * bytes, a CID that is invalid or not in its canonical encoding, invalid UTF-8, over-long string,
 * bitfield size not matching `chunkCount` or spare bits set, too many addresses — throws
 * `ProtocolError`, and nothing else is ever thrown.
 *
 * @example
 * ```ts
 * import { decodeFrame, encodeMessage } from '@codio-chunk/core'
 * const [frame] = encodeMessage({ type: 'cancel', id: 3 })
 * decodeFrame(frame.subarray(4))   // { type: 'cancel', id: 3 }
 * ```
 */
export function decodeFrame (frame: Uint8Array): WireMessage {
  try {
    return decodeUnchecked(frame)
  } catch (err) {
    if (err instanceof ProtocolError) throw err
    throw new ProtocolError('Could not decode a frame from the peer; disconnect it', { cause: err })
  }
}

function decodeUnchecked (frame: Uint8Array): WireMessage {
  if (!(frame instanceof Uint8Array) || frame.length === 0) {
    throw new ProtocolError('Received an empty frame: every frame starts with a type byte. Disconnect the peer')
  }
  const type = TYPE_NAMES[frame[0]]
  if (type === undefined) {
    throw new ProtocolError(`Received a frame of unknown type 0x${hex2(frame[0])}; the peer speaks another protocol or version. Disconnect it`)
  }
  const r = new Reader(frame, type)
  let message: WireMessage
  switch (type) {
    case 'data': {
      const id = r.int(4, 'id')
      return { type, id, bytes: r.rest() }
    }
    case 'request-chunk':
      message = { type, id: r.int(4, 'id'), content: r.cid('content'), index: r.int(4, 'index') }
      break
    case 'request-block':
      message = { type, id: r.int(4, 'id'), content: r.cid('content'), block: r.cid('block') }
      break
    case 'cancel':
      message = { type, id: r.int(4, 'id') }
      break
    case 'reject':
      message = { type, id: r.int(4, 'id'), code: r.int(1, 'code') as RejectCode, reason: r.str('reason', WIRE_LIMITS.maxReasonBytes) }
      break
    case 'have':
      message = { type, content: r.cid('content'), index: r.int(4, 'index') }
      break
    case 'bitfield': {
      const content = r.cid('content')
      const chunkCount = r.int(4, 'chunkCount')
      const bits = r.rest()
      checkBits(chunkCount, bits, (why) => r.error(why))
      return { type, content, chunkCount, bits: new Uint8Array(bits) }
    }
    case 'interested':
    case 'not-interested':
      message = { type, content: r.cid('content') }
      break
    case 'choke':
    case 'unchoke':
      message = { type }
      break
    case 'peers':
      message = { type, content: r.cid('content'), addresses: r.addresses() }
      break
    case 'hello':
      return decodeHello(r)
    case 'goodbye':
      message = { type, code: r.int(1, 'code') as GoodbyeCode, reason: r.str('reason', WIRE_LIMITS.maxReasonBytes) }
      break
  }
  r.end()
  return message
}

function decodeHello (r: Reader): WireMessage {
  const magic = r.bytes(4, 'magic')
  if (magic[0] !== HELLO_MAGIC[0] || magic[1] !== HELLO_MAGIC[1] || magic[2] !== HELLO_MAGIC[2] || magic[3] !== HELLO_MAGIC[3]) {
    throw r.error('the magic number is not "CDCK" (the peer does not speak codio-chunk)')
  }
  const version = r.int(1, 'version')
  const peerId = r.str('peerId', WIRE_LIMITS.maxPeerIdBytes)
  const maxFrameSize = r.int(4, 'maxFrameSize')
  const maxRequests = r.int(2, 'maxRequests')
  const addresses = r.addresses()
  const agent = r.str('agent', WIRE_LIMITS.maxAgentBytes)
  // Later protocol versions may append fields to hello; version 1 itself allows none.
  if (version <= 1) r.end()
  return { type: 'hello', version, peerId, maxFrameSize, maxRequests, addresses, agent }
}

/** Writes one frame into a buffer of its exact size. */
class Writer {
  private readonly buf: Uint8Array
  private p = 0

  constructor (private readonly type: MessageName, payloadLength: number, trailing = 0) {
    const length = 1 + payloadLength + trailing
    if (length > U32_MAX) throw encodeError(type, `the frame would be ${length} bytes, more than a u32 length can express`)
    this.buf = new Uint8Array(FRAME_PREFIX_SIZE + 1 + payloadLength)
    this.put(length, 4)
    this.buf[this.p++] = MessageType[type]
  }

  /** An unsigned big-endian integer of `size` bytes, range-checked. */
  int (value: number, size: 1 | 2 | 4, field: string): this {
    checkUint(value, size, this.type, field)
    this.put(value, size)
    return this
  }

  raw (bytes: Uint8Array): this {
    this.buf.set(bytes, this.p)
    this.p += bytes.length
    return this
  }

  cid (bytes: Uint8Array): this {
    this.buf[this.p++] = bytes.length
    return this.raw(bytes)
  }

  /** A string already encoded and length-checked. */
  str (bytes: Uint8Array): this {
    this.put(bytes.length, 2)
    return this.raw(bytes)
  }

  list (items: Uint8Array[]): this {
    this.buf[this.p++] = items.length
    for (const item of items) this.str(item)
    return this
  }

  finish (): Uint8Array {
    return this.buf
  }

  private put (value: number, size: number): void {
    for (let shift = (size - 1) * 8; shift >= 0; shift -= 8) this.buf[this.p++] = (value >>> shift) & 0xff
  }
}

/** Reads the fields of one frame, throwing `ProtocolError` on anything malformed. */
class Reader {
  private p = 1

  constructor (private readonly frame: Uint8Array, private readonly type: MessageName) {}

  error (why: string): ProtocolError {
    return new ProtocolError(`Malformed ${this.type} message from the peer: ${why}. Disconnect it`)
  }

  private need (n: number, field: string): void {
    const left = this.frame.length - this.p
    if (n > left) throw this.error(`${field} is truncated (needs ${n} bytes, ${left} left)`)
  }

  /** An unsigned big-endian integer of `size` bytes. */
  int (size: 1 | 2 | 4, field: string): number {
    this.need(size, field)
    let value = 0
    for (let i = 0; i < size; i++) value = value * 256 + this.frame[this.p++]
    return value
  }

  bytes (n: number, field: string): Uint8Array {
    this.need(n, field)
    const out = this.frame.subarray(this.p, this.p + n)
    this.p += n
    return out
  }

  cid (field: string): CID {
    const length = this.int(1, `${field} CID length`)
    if (length === 0) throw this.error(`${field} CID is empty`)
    const bytes = this.bytes(length, `${field} CID`)
    try {
      return decodeCid(bytes)
    } catch (err) {
      throw new ProtocolError(`Malformed ${this.type} message from the peer: ${field} is not a valid binary CID in canonical form (${(err as Error)?.message ?? String(err)}). Disconnect it`, { cause: err })
    }
  }

  str (field: string, max: number): string {
    const length = this.int(2, `${field} length`)
    if (length > max) throw this.error(`${field} is ${length} bytes, more than the limit of ${max}`)
    if (length === 0) return ''
    const bytes = this.bytes(length, field)
    try {
      return utf8Strict.decode(bytes)
    } catch (err) {
      throw new ProtocolError(`Malformed ${this.type} message from the peer: ${field} is not valid UTF-8. Disconnect it`, { cause: err })
    }
  }

  addresses (): string[] {
    const count = this.int(1, 'address count')
    if (count > WIRE_LIMITS.maxAddresses) throw this.error(`it lists ${count} addresses, more than the limit of ${WIRE_LIMITS.maxAddresses}`)
    const out: string[] = new Array(count)
    for (let i = 0; i < count; i++) out[i] = this.str(`address ${i}`, WIRE_LIMITS.maxAddressBytes)
    return out
  }

  rest (): Uint8Array {
    const out = this.frame.subarray(this.p)
    this.p = this.frame.length
    return out
  }

  end (): void {
    const left = this.frame.length - this.p
    if (left !== 0) throw this.error(`${left} unexpected trailing bytes`)
  }
}

function checkBits (chunkCount: number, bits: Uint8Array, fail: (why: string) => ProtocolError): void {
  const expected = Math.ceil(chunkCount / 8)
  if (bits.length !== expected) throw fail(`a bitfield of ${chunkCount} chunks takes ${expected} bytes, got ${bits.length}`)
  const spare = expected * 8 - chunkCount
  if (spare > 0 && (bits[expected - 1] & ((1 << spare) - 1)) !== 0) throw fail('the bitfield has bits set past its last chunk')
}

function checkUint (value: number, size: 1 | 2 | 4, type: string, field: string): void {
  const max = size === 4 ? U32_MAX : size === 2 ? 0xffff : 0xff
  if (!Number.isInteger(value) || value < 0 || value > max) throw encodeError(type, `${field} must be an integer in 0..${max}, got ${value}`)
}

function cidBytes (cid: CID, type: string, field: string): Uint8Array {
  const bytes = CID.asCID(cid)?.bytes
  if (bytes === undefined) throw encodeError(type, `${field} must be a CID`)
  if (bytes.length === 0 || bytes.length > WIRE_LIMITS.maxCidBytes) throw encodeError(type, `${field} CID is ${bytes.length} bytes, outside 1..${WIRE_LIMITS.maxCidBytes}`)
  return bytes
}

function stringBytes (value: string, type: string, field: string, max: number): Uint8Array {
  if (typeof value !== 'string') throw encodeError(type, `${field} must be a string`)
  const bytes = utf8.encode(value)
  if (bytes.length > max) throw encodeError(type, `${field} is ${bytes.length} bytes of UTF-8, more than the limit of ${max}`)
  return bytes
}

/** Encodes a reason, truncating it at a character boundary to the reason limit. */
function reasonBytes (value: string, type: string): Uint8Array {
  if (typeof value !== 'string') throw encodeError(type, 'reason must be a string')
  const max = WIRE_LIMITS.maxReasonBytes
  const bytes = utf8.encode(value.length > max ? value.slice(0, max) : value)
  if (bytes.length <= max) return bytes
  let end = max
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--
  return bytes.subarray(0, end)
}

function addressBytes (addresses: readonly string[], type: string): Uint8Array[] {
  if (!Array.isArray(addresses)) throw encodeError(type, 'addresses must be an array of strings')
  if (addresses.length > WIRE_LIMITS.maxAddresses) throw encodeError(type, `${addresses.length} addresses are more than the limit of ${WIRE_LIMITS.maxAddresses}`)
  return addresses.map((a, i) => stringBytes(a, type, `address ${i}`, WIRE_LIMITS.maxAddressBytes))
}

function sizeOfList (items: Uint8Array[]): number {
  let size = 1
  for (const item of items) size += 2 + item.length
  return size
}

function encodeError (type: string, why: string): ProtocolError {
  return new ProtocolError(`Cannot encode a ${type} message: ${why}`)
}

function hex2 (byte: number): string {
  return byte.toString(16).padStart(2, '0')
}
