import { describe, expect, it } from 'vitest'
import { InvalidAddressError } from '@codio-chunk/interface'
import { PeerIdentity, isPeerId, parseAddress, peerIdFromPublicKey, publicKeyFromPeerId, verifyPeerSignature } from '../src/index.js'

// The Ed25519 test vector of the libp2p peer-id specification (peer-ids/peer-ids.md, "Test vectors"):
// private key seed 7e08…ee7d, public key 1ed1…e27e, peer id 12D3KooWBtg3…R3pq.
const SEED = Buffer.from('7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d', 'hex')
const PUBLIC = Buffer.from('1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e', 'hex')
const PEER_ID = '12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq'

describe('PeerIdentity', () => {
  it('derives the libp2p peer id of the specification vector', () => {
    const identity = PeerIdentity.fromSeed(SEED)
    expect(Buffer.from(identity.publicKey)).toEqual(PUBLIC)
    expect(identity.peerId).toBe(PEER_ID)
    expect(peerIdFromPublicKey(PUBLIC)).toBe(PEER_ID)
    expect(Buffer.from(publicKeyFromPeerId(PEER_ID) ?? [])).toEqual(PUBLIC)
  })

  it('round-trips its seed and signs verifiably', () => {
    const identity = PeerIdentity.generate()
    expect(identity.peerId.startsWith('12D3KooW')).toBe(true)
    expect(PeerIdentity.fromSeed(identity.privateKeySeed()).peerId).toBe(identity.peerId)
    const data = new TextEncoder().encode('codio-chunk')
    const signature = identity.sign(data)
    expect(verifyPeerSignature(identity.peerId, data, signature)).toBe(true)
    expect(verifyPeerSignature(PEER_ID, data, signature)).toBe(false)
    expect(verifyPeerSignature('not a peer id', data, signature)).toBe(false)
  })

  it('accepts each key under its one canonical spelling only', () => {
    // The base58 decoder reads a character outside its alphabet (here U+0100) as a digit, so this
    // string decodes to the key whose peer id has a "1" in that place: a second name for that key.
    const alias = `${PEER_ID.slice(0, 45)}\u0100${PEER_ID.slice(46)}`
    const canonical = `${PEER_ID.slice(0, 45)}1${PEER_ID.slice(46)}`
    expect(isPeerId(canonical)).toBe(true)
    expect(isPeerId(alias)).toBe(false)
    expect(publicKeyFromPeerId(alias)).toBeUndefined()
    expect(verifyPeerSignature(alias, new Uint8Array(1), new Uint8Array(64))).toBe(false)
    expect(() => parseAddress(`tcp://192.0.2.1:4001/p2p/${alias}`)).toThrow(InvalidAddressError)
    for (const spelling of [` ${PEER_ID}`, `${PEER_ID} `, `1${PEER_ID}`, PEER_ID.replace('K', '\u212a')]) expect(isPeerId(spelling), spelling).toBe(false)
  })

  it('tells peer ids from other strings', () => {
    expect(isPeerId(PEER_ID)).toBe(true)
    expect(isPeerId('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')).toBe(false)
    expect(isPeerId('0OIl')).toBe(false)
    expect(() => PeerIdentity.fromSeed(new Uint8Array(31))).toThrow(/32 bytes/)
  })
})
