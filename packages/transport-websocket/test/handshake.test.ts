import { describe, expect, it } from 'vitest'
import { PeerIdentity } from '@codio-chunk/protocol'
import { AuthHandshake, CHALLENGE_BYTES, HandshakeError, PROOF_BYTES, SIGNING_CONTEXT, encodeChallenge, signedMessage } from '../src/handshake.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

function pairOf (): { dialler: AuthHandshake, listener: AuthHandshake, a: PeerIdentity, b: PeerIdentity } {
  const a = PeerIdentity.fromSeed(new Uint8Array(32).fill(1))
  const b = PeerIdentity.fromSeed(new Uint8Array(32).fill(2))
  return { a, b, dialler: new AuthHandshake(a, 'dialler', new Uint8Array(32).fill(0xd1)), listener: new AuthHandshake(b, 'listener', new Uint8Array(32).fill(0x1e)) }
}

describe('the WebSocket authentication handshake', () => {
  it('lays out the challenge and the signed message as PROTOCOL.md says', () => {
    const challenge = encodeChallenge(new Uint8Array(32).fill(0xaa))
    expect(challenge.length).toBe(CHALLENGE_BYTES)
    expect(hex(challenge)).toBe('4344575301' + 'aa'.repeat(32))
    const signed = signedMessage('listener', new Uint8Array(32).fill(0xd1), new Uint8Array(32).fill(0x1e))
    expect(signed.length).toBe(SIGNING_CONTEXT.length + 2 + 64)
    expect(Buffer.from(signed.subarray(0, 21)).toString('latin1')).toBe('codio-chunk/ws-auth/1')
    expect(hex(signed.subarray(21))).toBe('0002' + 'd1'.repeat(32) + '1e'.repeat(32))
    expect(signedMessage('dialler', new Uint8Array(32), new Uint8Array(32))[22]).toBe(0x01)
  })

  it('proves each side\'s peer id to the other', () => {
    const { a, b, dialler, listener } = pairOf()
    const fromDialler = dialler.receive(listener.challenge())
    const fromListener = listener.receive(dialler.challenge())
    expect(fromDialler.send?.length).toBe(PROOF_BYTES)
    expect(hex(fromDialler.send!.subarray(0, 32))).toBe(hex(a.publicKey))
    expect(dialler.receive(fromListener.send!).peerId).toBe(b.peerId)
    expect(listener.receive(fromDialler.send!).peerId).toBe(a.peerId)
    expect(listener.peerId).toBe(a.peerId)
  })

  it('refuses a reflected proof, a proof for other nonces, a bad signature and a swapped key', () => {
    const { dialler, listener } = pairOf()
    const proofOfDialler = dialler.receive(listener.challenge()).send!
    listener.receive(dialler.challenge())
    // The dialler's own proof sent back to it: signed for the other direction.
    expect(() => dialler.receive(proofOfDialler)).toThrow(HandshakeError)

    // A proof made for another connection (other nonces) by the same key.
    const { b, dialler: d2, listener: l2 } = pairOf()
    d2.receive(l2.challenge())
    const elsewhere = new AuthHandshake(b, 'listener', new Uint8Array(32).fill(0x77))
    const foreignProof = elsewhere.receive(new AuthHandshake(PeerIdentity.generate(), 'dialler').challenge()).send!
    expect(() => d2.receive(foreignProof)).toThrow(/does not verify/)
    const { dialler: d3, listener: l3 } = pairOf()
    d3.receive(l3.challenge())
    const proof = l3.receive(d3.challenge()).send!
    const flipped = proof.slice()
    flipped[40] ^= 1
    expect(() => d3.receive(flipped)).toThrow(/does not verify/)
    const { dialler: d4, listener: l4 } = pairOf()
    d4.receive(l4.challenge())
    const swapped = l4.receive(d4.challenge()).send!.slice()
    swapped.set(PeerIdentity.generate().publicKey, 0)
    expect(() => d4.receive(swapped)).toThrow(HandshakeError)
  })

  it('refuses malformed challenges and proofs with clear errors', () => {
    const { dialler, listener } = pairOf()
    expect(() => dialler.receive(new TextEncoder().encode('GET / HTTP/1.1'))).toThrow(/magic/)
    const v2 = listener.challenge()
    v2[4] = 2
    expect(() => dialler.receive(v2)).toThrow(/version 2/)
    expect(() => dialler.receive(listener.challenge().subarray(0, 20))).toThrow(HandshakeError)
    expect(() => dialler.receive(dialler.challenge())).toThrow(/reflection/)
    dialler.receive(listener.challenge())
    expect(() => dialler.receive(new Uint8Array(95))).toThrow(/96/)
  })
})
