import { X509Certificate, createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto'
import { InvalidConfigError } from '@codio-chunk/interface'
import { peerIdFromPublicKey } from '@codio-chunk/protocol'
import type { Identity } from '@codio-chunk/interface'
import { bitString, explicit, oid, sequence, smallInteger, time, tlv, unsignedInteger, utf8String, Tag } from './der.js'

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20)
/** DER prefix of an SPKI Ed25519 public key; the 32-byte key follows. */
const SPKI_ED25519_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)
const ED25519_OID = '1.3.101.112'
const COMMON_NAME_OID = '2.5.4.3'
/** RFC 5280 4.1.2.5: 99991231235959Z means "no well-defined expiration date". */
const NO_EXPIRY = new Date(Date.UTC(9999, 11, 31, 23, 59, 59))

/** A node's TLS credentials: its self-signed certificate and private key, both PEM. */
export interface TlsCredentials {
  /** The peer id the certificate's key gives. */
  peerId: string
  certificatePem: string
  privateKeyPem: string
  /** The certificate in DER form. */
  certificate: Uint8Array
}

/** What checking a peer's certificate found: its peer id, or why it is not acceptable. */
export type CertificateCheck = { ok: true, peerId: string } | { ok: false, reason: string }

/**
 * The node's Ed25519 private key as a Node.js `KeyObject` (what TLS and `crypto.sign` take), made
 * from the identity's seed. Throws `InvalidConfigError` if the identity is not an Ed25519 key pair
 * whose public key gives its peer id.
 */
export function identityKey (identity: Identity): { key: KeyObject, peerId: string } {
  const seed = typeof identity?.privateKeySeed === 'function' ? identity.privateKeySeed() : undefined
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new InvalidConfigError('The QUIC transport needs the node identity (an Ed25519 key pair such as PeerIdentity.generate()); it gets it from the node\'s components')
  }
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32)
  der.set(PKCS8_ED25519_PREFIX)
  der.set(seed, PKCS8_ED25519_PREFIX.length)
  const key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
  der.fill(0)
  const peerId = peerIdFromPublicKey(rawEd25519(createPublicKey(key)))
  if (peerId !== identity.peerId) throw new InvalidConfigError(`The identity's key gives peer id ${peerId}, but it names itself ${identity.peerId}`)
  return { key, peerId }
}

/**
 * A self-signed X.509 v3 certificate for an Ed25519 identity key: subject and issuer are
 * `CN=<peer id>`, valid from an hour ago with no expiry, signed with the key itself. TLS peers
 * authenticate the key, so the certificate carries nothing else.
 *
 * @example
 * ```ts
 * import { PeerIdentity } from '@codio-chunk/protocol'
 * import { selfSignedCertificate, checkPeerCertificate } from '@codio-chunk/transport-quic'
 * const identity = PeerIdentity.generate()
 * const tls = selfSignedCertificate(identity)
 * checkPeerCertificate(tls.certificate)   // { ok: true, peerId: identity.peerId }
 * ```
 */
export function selfSignedCertificate (identity: Identity, now = new Date()): TlsCredentials {
  const { key, peerId } = identityKey(identity)
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }))
  const algorithm = sequence(oid(ED25519_OID))
  const name = sequence(tlv(Tag.set, sequence(oid(COMMON_NAME_OID), utf8String(peerId))))
  const serial = randomBytes(16)
  serial[0] &= 0x7f
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(time(new Date(now.getTime() - 3600_000)), time(NO_EXPIRY)),
    name,
    spki
  )
  const signature = new Uint8Array(sign(null, tbs, key))
  const certificate = sequence(tbs, algorithm, bitString(signature))
  return {
    peerId,
    certificate,
    certificatePem: pem('CERTIFICATE', certificate),
    privateKeyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString()
  }
}

/**
 * Checks a peer's certificate (DER) the way codio-chunk authenticates peers: an Ed25519 key, a
 * valid self-signature, inside its validity period. Returns the peer id of the key. Never throws.
 *
 * @example
 * ```ts
 * import { checkPeerCertificate } from '@codio-chunk/transport-quic'
 * checkPeerCertificate(new Uint8Array(10))   // { ok: false, reason: 'it is not a valid X.509 certificate' }
 * ```
 */
export function checkPeerCertificate (der: Uint8Array | undefined, now = Date.now()): CertificateCheck {
  if (der === undefined || der.length === 0) return { ok: false, reason: 'it presented no certificate' }
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(der)
  } catch {
    return { ok: false, reason: 'it is not a valid X.509 certificate' }
  }
  const publicKey = certificate.publicKey
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    return { ok: false, reason: `its certificate key is ${publicKey.asymmetricKeyType ?? 'unknown'}, not the Ed25519 node key codio-chunk peers use` }
  }
  if (!certificate.verify(publicKey)) return { ok: false, reason: 'its certificate is not signed by its own key' }
  const from = Date.parse(certificate.validFrom)
  const to = Date.parse(certificate.validTo)
  if (!(from <= now) || !(now <= to)) return { ok: false, reason: `its certificate is not valid now (valid from ${certificate.validFrom} to ${certificate.validTo})` }
  return { ok: true, peerId: peerIdFromPublicKey(rawEd25519(publicKey)) }
}

function rawEd25519 (publicKey: KeyObject): Uint8Array {
  const spki = publicKey.export({ format: 'der', type: 'spki' })
  return new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length))
}

function pem (label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64')
  const lines = base64.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}
