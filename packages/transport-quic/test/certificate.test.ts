import { X509Certificate, createPrivateKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { PeerIdentity } from '@codio-chunk/protocol'
import { checkPeerCertificate, selfSignedCertificate } from '../src/index.js'
import { ecdsaCertificate } from './helpers.js'

describe('node certificates', () => {
  it('makes a self-signed X.509 certificate of the Ed25519 identity that OpenSSL reads', () => {
    const identity = PeerIdentity.generate()
    const tls = selfSignedCertificate(identity)
    const x509 = new X509Certificate(tls.certificatePem)
    expect(x509.subject).toBe(`CN=${identity.peerId}`)
    expect(x509.issuer).toBe(x509.subject)
    expect(x509.publicKey.asymmetricKeyType).toBe('ed25519')
    expect(x509.verify(x509.publicKey)).toBe(true)
    expect(x509.checkPrivateKey(createPrivateKey(tls.privateKeyPem))).toBe(true)
    expect(tls.peerId).toBe(identity.peerId)
    expect(checkPeerCertificate(tls.certificate)).toEqual({ ok: true, peerId: identity.peerId })
  })

  it('refuses certificates that do not prove a codio-chunk identity, saying why', () => {
    expect(checkPeerCertificate(undefined)).toEqual({ ok: false, reason: 'it presented no certificate' })
    expect(checkPeerCertificate(new Uint8Array(64))).toEqual({ ok: false, reason: 'it is not a valid X.509 certificate' })
    const ecdsa = new X509Certificate(ecdsaCertificate().cert).raw
    expect(checkPeerCertificate(ecdsa)).toMatchObject({ ok: false, reason: expect.stringMatching(/ec, not the Ed25519 node key/) })
    // One flipped bit in the signature.
    const tampered = new Uint8Array(selfSignedCertificate(PeerIdentity.generate()).certificate)
    tampered[tampered.length - 1] ^= 1
    expect(checkPeerCertificate(tampered)).toEqual({ ok: false, reason: 'its certificate is not signed by its own key' })
    // Not valid yet.
    const future = selfSignedCertificate(PeerIdentity.generate(), new Date(Date.now() + 48 * 3600_000))
    expect(checkPeerCertificate(future.certificate)).toMatchObject({ ok: false, reason: expect.stringMatching(/not valid now/) })
  })
})
