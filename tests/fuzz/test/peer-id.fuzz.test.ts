// Peer ids from hellos, addresses and certificates: isPeerId, publicKeyFromPeerId and
// verifyPeerSignature never throw, whatever they are given, and accept only libp2p Ed25519 peer ids
// (and only real signatures by their keys).
import { describe, it } from 'vitest'
import { base58btc } from 'multiformats/bases/base58'
import { PeerIdentity, isPeerId, peerIdFromPublicKey, publicKeyFromPeerId, verifyPeerSignature } from '@codio-chunk/protocol'
import { fc, fuzz } from '../src/fuzz.js'
import { mutatedBytes, mutatedText } from '../src/mutate.js'
import { sameBytes } from '../src/wire-arbitraries.js'

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
const identities = Array.from({ length: 4 }, () => PeerIdentity.generate())
const peerIds = identities.map(i => i.peerId)
/** Real signatures: (peer id, data, signature by that peer's key). */
const signed = identities.map((identity, i) => {
  const data = Uint8Array.from({ length: 16 + i }, (_, j) => j * 7 + i)
  return { peerId: identity.peerId, data, signature: identity.sign(data) }
})

/** A libp2p Ed25519 peer id, by its definition: the base58btc spelling of 00 24 08 01 12 20 and a 32-byte key. */
function isEd25519PeerId (text: unknown): boolean {
  if (typeof text !== 'string') return false
  let bytes: Uint8Array
  try { bytes = base58btc.baseDecode(text) } catch { return false }
  const prefix = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20]
  // One spelling per key: the decoder alone also reads characters outside its alphabet.
  return bytes.length === 38 && prefix.every((b, i) => bytes[i] === b) && base58btc.baseEncode(bytes) === text
}

const text: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...BASE58), maxLength: 70 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 3, arbitrary: mutatedText(peerIds, BASE58) },
  // The identity multihash of other keys (secp256k1, RSA-like, short), and of Ed25519 keys with bytes changed.
  { weight: 2, arbitrary: mutatedBytes(peerIds.map(id => base58btc.baseDecode(id))).map(bytes => base58btc.baseEncode(bytes)) },
  { weight: 1, arbitrary: fc.constantFrom(...peerIds) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, 42, {}, [], new Uint8Array(38), Symbol('id')) }
)

/** What to verify: mostly cheap refusals; a valid id with a 64-byte signature now and then (Ed25519 verification is slow). */
const signature = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(text, fc.uint8Array({ maxLength: 40 }), fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.constantFrom<unknown>(undefined, 'sig', 64))) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom<unknown>(...peerIds), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 64, maxLength: 64 })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...signed), fc.integer({ min: 0, max: 2 }), fc.nat()).map(([s, change, at]): [unknown, Uint8Array, unknown] => {
    const data = Uint8Array.from(s.data)
    const sig = Uint8Array.from(s.signature)
    if (change === 1) data[at % data.length] ^= 1
    if (change === 2) sig[at % 64] ^= 1
    return [s.peerId, data, sig]
  }) }
)

describe('peer ids', () => {
  it('peer-id: never throw, accept only Ed25519 peer ids and their real signatures', async () => {
    await fuzz('peer-id', signature, ([id, data, sig]) => {
      const valid = isEd25519PeerId(id)
      if (isPeerId(id as string) !== valid) throw new Error(`isPeerId(${String(id)}) is ${!valid}`)
      const key = publicKeyFromPeerId(id as string)
      if ((key !== undefined) !== valid) throw new Error(`publicKeyFromPeerId(${String(id)}) ${key === undefined ? 'refused' : 'accepted'} it`)
      if (key !== undefined && (key.length !== 32 || peerIdFromPublicKey(key) !== id)) throw new Error(`the key of ${String(id)} does not give it back`)
      const verified = verifyPeerSignature(id as string, data, sig as Uint8Array)
      if (typeof verified !== 'boolean') throw new Error('verifyPeerSignature returned no boolean')
      const genuine = signed.some(s => s.peerId === id && sameBytes(s.data, data) && sig instanceof Uint8Array && sameBytes(s.signature, sig))
      if (verified !== genuine) throw new Error(`verifyPeerSignature is ${verified} for a ${genuine ? 'genuine' : 'forged'} signature`)
    })
  })
})
