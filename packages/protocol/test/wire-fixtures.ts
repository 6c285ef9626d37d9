import { CID } from 'multiformats/cid'
import { GoodbyeCode, PROTOCOL_VERSION, RejectCode } from '@codio-chunk/interface'
import type { WireMessage } from '@codio-chunk/interface'

/** `hello world\n` as `ipfs add` (CIDv0) gives it. */
export const CID_V0 = CID.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
/** A CIDv1 raw leaf. */
export const CID_V1 = CID.parse('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e')

/** One or more examples of every message type. */
export function sampleMessages (): WireMessage[] {
  return [
    { type: 'hello', version: PROTOCOL_VERSION, peerId: '12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV', maxFrameSize: 4 * 1024 * 1024 + 4096, maxRequests: 64, addresses: ['tcp://127.0.0.1:4001', 'tcp://[::1]:4001'], agent: 'codio-chunk/0.1.0' },
    { type: 'hello', version: 1, peerId: '', maxFrameSize: 0xffffffff, maxRequests: 0xffff, addresses: [], agent: 'ünïcødé ✓ 🚀' },
    { type: 'goodbye', code: GoodbyeCode.ProtocolError, reason: 'bad frame' },
    { type: 'goodbye', code: GoodbyeCode.Normal, reason: '' },
    { type: 'bitfield', content: CID_V1, chunkCount: 10, bits: Uint8Array.of(0b10110000, 0b01000000) },
    { type: 'bitfield', content: CID_V0, chunkCount: 0, bits: new Uint8Array(0) },
    { type: 'bitfield', content: CID_V1, chunkCount: 16, bits: Uint8Array.of(0xff, 0xff) },
    { type: 'have', content: CID_V0, index: 0xffffffff },
    { type: 'interested', content: CID_V1 },
    { type: 'not-interested', content: CID_V0 },
    { type: 'choke' },
    { type: 'unchoke' },
    { type: 'peers', content: CID_V1, addresses: ['tcp://10.0.0.1:4001', 'quic://[2001:db8::1]:4002'] },
    { type: 'peers', content: CID_V1, addresses: [] },
    { type: 'request-chunk', id: 1, content: CID_V1, index: 42 },
    { type: 'request-block', id: 0xfffffffe, content: CID_V0, block: CID_V1 },
    { type: 'data', id: 7, bytes: Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff) },
    { type: 'data', id: 0, bytes: new Uint8Array(0) },
    { type: 'reject', id: 9, code: RejectCode.Busy, reason: 'too many requests' },
    { type: 'cancel', id: 5 }
  ]
}

/** Concatenates the parts of an encoded frame. */
export function concat (parts: Uint8Array[]): Uint8Array {
  let size = 0
  for (const p of parts) size += p.length
  const out = new Uint8Array(size)
  let offset = 0
  for (const p of parts) { out.set(p, offset); offset += p.length }
  return out
}

/** Deterministic PRNG (mulberry32) for fuzzing. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
