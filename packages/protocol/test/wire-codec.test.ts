import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { decodeFrame, encodeMessage, messageSize, WIRE_LIMITS, HELLO_MAGIC } from '../src/codec.js'
import { MessageType, PROTOCOL_VERSION } from '@codio-chunk/interface'
import { ProtocolError } from '@codio-chunk/interface'
import type { WireMessage } from '@codio-chunk/interface'
import { CID_V0, CID_V1, concat, sampleMessages } from './wire-fixtures.js'

/** Decodes a whole encoded frame (length prefix included), checking the prefix. */
function roundTrip (message: WireMessage): WireMessage {
  const frame = concat(encodeMessage(message))
  const length = new DataView(frame.buffer).getUint32(0)
  expect(length).toBe(frame.length - 4)
  return decodeFrame(frame.subarray(4))
}

function frameOf (type: number, ...payload: number[]): Uint8Array {
  return Uint8Array.of(type, ...payload)
}

function expectProtocolError (frame: Uint8Array, pattern: RegExp): void {
  let thrown: unknown
  try { decodeFrame(frame) } catch (err) { thrown = err }
  expect(thrown).toBeInstanceOf(ProtocolError)
  expect((thrown as Error).message).toMatch(pattern)
}

describe('wire codec', () => {
  it('round-trips every message type', () => {
    const messages = sampleMessages()
    const types = new Set(messages.map(m => m.type))
    expect(types.size).toBe(Object.keys(MessageType).length)
    for (const message of messages) {
      expect(roundTrip(message)).toEqual(message)
    }
  })

  it('puts the type byte after the length prefix', () => {
    for (const message of sampleMessages()) {
      expect(concat(encodeMessage(message))[4]).toBe(MessageType[message.type])
    }
  })

  it('keeps decoded CIDs equal to the originals, v0 as 34 multihash bytes', () => {
    const decoded = roundTrip({ type: 'request-block', id: 1, content: CID_V0, block: CID_V1 })
    expect(decoded.type).toBe('request-block')
    if (decoded.type !== 'request-block') return
    expect(decoded.content.equals(CID_V0)).toBe(true)
    expect(decoded.content.version).toBe(0)
    expect(decoded.block.equals(CID_V1)).toBe(true)
    const frame = concat(encodeMessage({ type: 'interested', content: CID_V0 }))
    expect(frame[5]).toBe(34)
    expect(frame.length).toBe(4 + 1 + 1 + 34)
  })

  it('never copies data bytes: encoding keeps them as their own part, decoding returns a view', () => {
    const bytes = new Uint8Array(1024).fill(7)
    const parts = encodeMessage({ type: 'data', id: 3, bytes })
    expect(parts).toHaveLength(2)
    expect(parts[1]).toBe(bytes)
    expect(parts[0]).toEqual(Uint8Array.of(0, 0, 4, 5, 0x22, 0, 0, 0, 3))
    const frame = concat(parts).subarray(4)
    const decoded = decodeFrame(frame)
    if (decoded.type !== 'data') throw new Error('expected data')
    expect(decoded.bytes.buffer).toBe(frame.buffer)
    expect(decoded.bytes.byteOffset).toBe(frame.byteOffset + 5)
    expect(decoded.bytes.length).toBe(1024)
  })

  it('encodes every other message as one buffer', () => {
    for (const message of sampleMessages()) {
      if (message.type !== 'data') expect(encodeMessage(message)).toHaveLength(1)
    }
  })

  it('computes messageSize as the frame bytes including the prefix', () => {
    for (const message of sampleMessages()) {
      expect(messageSize(message)).toBe(concat(encodeMessage(message)).length)
    }
  })

  it('decodes unknown reject and goodbye codes, keeping the number', () => {
    expect(decodeFrame(frameOf(0x23, 0, 0, 0, 1, 200, 0, 0))).toEqual({ type: 'reject', id: 1, code: 200, reason: '' })
    expect(decodeFrame(frameOf(0x02, 99, 0, 2, 0x68, 0x69))).toEqual({ type: 'goodbye', code: 99, reason: 'hi' })
  })

  it('truncates over-long reasons at a character boundary when encoding', () => {
    const reason = 'é'.repeat(WIRE_LIMITS.maxReasonBytes) // 2 bytes each
    const decoded = roundTrip({ type: 'goodbye', code: 0, reason })
    if (decoded.type !== 'goodbye') throw new Error('expected goodbye')
    expect(decoded.reason).toBe('é'.repeat(WIRE_LIMITS.maxReasonBytes / 2))
    const odd = 'a' + '€'.repeat(1000) // 1 + 3000 bytes: the cut falls inside a character
    const decodedOdd = roundTrip({ type: 'reject', id: 1, code: 1, reason: odd })
    if (decodedOdd.type !== 'reject') throw new Error('expected reject')
    expect(decodedOdd.reason).toBe('a' + '€'.repeat(341))
  })

  it('accepts a hello from a later version with appended fields, but not from this version', () => {
    const [frame] = encodeMessage({ type: 'hello', version: 2, peerId: 'p', maxFrameSize: 100, maxRequests: 4, addresses: [], agent: 'a' })
    const extended = concat([frame, Uint8Array.of(1, 2, 3)]).subarray(4)
    expect(decodeFrame(extended)).toMatchObject({ type: 'hello', version: 2, peerId: 'p' })
    const [own] = encodeMessage({ type: 'hello', version: PROTOCOL_VERSION, peerId: 'p', maxFrameSize: 100, maxRequests: 4, addresses: [], agent: 'a' })
    expectProtocolError(concat([own, Uint8Array.of(1)]).subarray(4), /trailing/)
  })

  it('rejects malformed frames with ProtocolError and a clear message', () => {
    const cid = [CID_V1.bytes.length, ...CID_V1.bytes]
    expectProtocolError(new Uint8Array(0), /empty frame/)
    expectProtocolError(frameOf(0x7f), /unknown type 0x7f/)
    expectProtocolError(frameOf(0x24, 0, 0, 1), /id is truncated/)
    expectProtocolError(frameOf(0x24, 0, 0, 0, 1, 0), /trailing/)
    expectProtocolError(frameOf(0x14, 0), /trailing/)
    expectProtocolError(frameOf(0x12, 0), /CID is empty/)
    expectProtocolError(frameOf(0x12, 3, 1, 2, 3), /not a valid binary CID/)
    expectProtocolError(frameOf(0x12, 40, 1, 2), /CID is truncated/)
    expectProtocolError(frameOf(0x10, ...cid, 0, 0, 0, 10, 0xff), /takes 2 bytes, got 1/)
    expectProtocolError(frameOf(0x10, ...cid, 0, 0, 0, 10, 0xff, 0xe0), /bits set past its last chunk/)
    expectProtocolError(frameOf(0x10, ...cid, 0xff, 0xff, 0xff, 0xff), /takes 536870912 bytes, got 0/)
    expectProtocolError(frameOf(0x16, ...cid, 33), /33 addresses, more than the limit of 32/)
    expectProtocolError(frameOf(0x16, ...cid, 1, 0x04, 0x01), /address 0 is 1025 bytes, more than the limit of 1024/)
    expectProtocolError(frameOf(0x02, 0, 0, 2, 0xc3, 0x28), /not valid UTF-8/)
    expectProtocolError(frameOf(0x02, 0, 0x04, 0x01), /reason is 1025 bytes/)
    expectProtocolError(frameOf(0x01, 0x43, 0x44, 0x43, 0x4c), /magic number/)
    expectProtocolError(frameOf(0x01, ...HELLO_MAGIC, 1, 0x01, 0x01), /peerId is 257 bytes/)
  })

  it('throws ProtocolError when asked to encode out-of-range fields', () => {
    const bad: Array<[WireMessage, RegExp]> = [
      [{ type: 'have', content: CID_V1, index: 2 ** 32 }, /index must be an integer in 0\.\.4294967295/],
      [{ type: 'have', content: CID_V1, index: -1 }, /index/],
      [{ type: 'request-chunk', id: 1.5, content: CID_V1, index: 0 }, /id must be an integer/],
      [{ type: 'cancel', id: Number.NaN }, /id/],
      [{ type: 'bitfield', content: CID_V1, chunkCount: 9, bits: new Uint8Array(1) }, /takes 2 bytes/],
      [{ type: 'bitfield', content: CID_V1, chunkCount: 4, bits: Uint8Array.of(0x08) }, /past its last chunk/],
      [{ type: 'peers', content: CID_V1, addresses: new Array(33).fill('tcp://1.2.3.4:1') }, /33 addresses/],
      [{ type: 'peers', content: CID_V1, addresses: ['x'.repeat(1025)] }, /1025 bytes/],
      [{ type: 'hello', version: 256, peerId: '', maxFrameSize: 1, maxRequests: 1, addresses: [], agent: '' }, /version must be an integer in 0\.\.255/],
      [{ type: 'hello', version: 1, peerId: '', maxFrameSize: 1, maxRequests: 65536, addresses: [], agent: '' }, /maxRequests/],
      [{ type: 'hello', version: 1, peerId: 'p'.repeat(257), maxFrameSize: 1, maxRequests: 1, addresses: [], agent: '' }, /peerId is 257 bytes/],
      [{ type: 'interested', content: 'bafy' as unknown as CID }, /content must be a CID/],
      [{ type: 'nope' } as unknown as WireMessage, /unknown message type/]
    ]
    for (const [message, pattern] of bad) {
      expect(() => encodeMessage(message)).toThrow(ProtocolError)
      expect(() => encodeMessage(message)).toThrow(pattern)
    }
  })

  it('copies decoded CIDs and bitfield bits so they do not pin the read buffer', () => {
    const frame = concat(encodeMessage({ type: 'bitfield', content: CID_V1, chunkCount: 8, bits: Uint8Array.of(0xff) })).subarray(4)
    const decoded = decodeFrame(frame)
    if (decoded.type !== 'bitfield') throw new Error('expected bitfield')
    expect(decoded.bits.buffer).not.toBe(frame.buffer)
    expect(decoded.content.bytes.buffer).not.toBe(frame.buffer)
    expect(CID.asCID(decoded.content)).not.toBeNull()
  })
})
