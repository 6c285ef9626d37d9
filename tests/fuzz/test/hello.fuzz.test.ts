// The first message of every connection: checkHello accepts exactly the hellos a node can work
// with (version 1, an Ed25519 peer id, the authenticated one where the transport proved one,
// maxFrameSize of at least 64 KiB, maxRequests of at least 1) and refuses everything else with a
// ProtocolError; hellos come as messages and as mutated frames through decodeFrame.
import { describe, it } from 'vitest'
import { base58btc } from 'multiformats/bases/base58'
import { PeerIdentity, decodeFrame, encodeMessage } from '@codio-chunk/protocol'
import type { Connection, WireMessage } from '@codio-chunk/interface'
// checkHello is internal to the engine (not exported from its package), so it is imported from its source.
import { checkHello } from '../../../packages/engine/src/peers/hello-check.js'
import { fc, fuzz, refusesOnlyWith } from '../src/fuzz.js'
import { mutatedBytes, mutatedText } from '../src/mutate.js'
import { concat, helloArbitrary, messageArbitrary } from '../src/wire-arbitraries.js'

const peerIds = Array.from({ length: 6 }, () => PeerIdentity.generate().peerId)
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** A libp2p Ed25519 peer id, by its definition: the base58btc spelling of 00 24 08 01 12 20 and a 32-byte key. */
function isEd25519PeerId (text: string): boolean {
  let bytes: Uint8Array
  try { bytes = base58btc.baseDecode(text) } catch { return false }
  const prefix = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20]
  // One spelling per key: the decoder alone also reads characters outside its alphabet.
  return bytes.length === 38 && prefix.every((b, i) => bytes[i] === b) && base58btc.baseEncode(bytes) === text
}

const peerId = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...peerIds) },
  { weight: 2, arbitrary: mutatedText(peerIds, BASE58) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) }
)
const frameSize = fc.oneof(fc.constantFrom(0, 1, 65535, 65536, 65537, 4198400, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 70_000 }))
const requests = fc.oneof(fc.constantFrom(0, 1, 0xffff), fc.integer({ min: 0, max: 0xffff }))
const hellos = fc.tuple(helloArbitrary, peerId, fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 255 })), frameSize, requests)
  .map(([hello, id, version, maxFrameSize, maxRequests]): WireMessage => ({ ...hello, peerId: id, version, maxFrameSize, maxRequests }) as WireMessage)

/** Frames of valid hellos with a few bytes changed, decoded (those that still decode). */
const validFrames = peerIds.map(id => concat(encodeMessage({ type: 'hello', version: 1, peerId: id, maxFrameSize: 65536, maxRequests: 1, addresses: ['tcp://127.0.0.1:4001'], agent: 'fuzz' })).subarray(4))
const mutatedFrames = mutatedBytes(validFrames).map(frame => refusesOnlyWith(['ProtocolError'], () => decodeFrame(frame)))

const message = fc.oneof(
  { weight: 6, arbitrary: hellos },
  { weight: 3, arbitrary: mutatedFrames },
  { weight: 1, arbitrary: messageArbitrary }
)
/** The peer id the transport authenticated: none (TCP), the hello's, or another. */
const authenticated = fc.oneof(fc.constant<'none' | 'same'>('none'), fc.constant<'none' | 'same'>('same'), fc.constantFrom(...peerIds))

describe('hello checks', () => {
  it('hello: checkHello accepts exactly the valid hellos, refusing the rest with ProtocolError', async () => {
    await fuzz('hello', fc.tuple(message, authenticated), ([m, auth]) => {
      if (m === undefined) return // a mutated frame that no longer decodes
      const remotePeerId = auth === 'none' ? undefined : auth === 'same' ? (m.type === 'hello' ? m.peerId : undefined) : auth
      const connection = { remoteAddress: 'tcp://192.0.2.1:4001', remotePeerId } as unknown as Connection
      const valid = m.type === 'hello' && m.version === 1 && isEd25519PeerId(m.peerId) &&
        (remotePeerId === undefined || remotePeerId === m.peerId) && m.maxFrameSize >= 65536 && m.maxRequests >= 1
      const checked = checkHello(m, connection)
      if ('error' in checked) {
        if (checked.error?.name !== 'ProtocolError' || typeof checked.reason !== 'string') throw new Error('a refusal without a ProtocolError and a reason')
        if (valid) throw new Error(`refused a valid hello: ${checked.error.message}`)
      } else {
        if (checked !== m) throw new Error('accepted a hello but returned another message')
        if (!valid) throw new Error(`accepted an invalid ${m.type}: ${JSON.stringify({ ...m, addresses: undefined })}`)
      }
    })
  })
})
