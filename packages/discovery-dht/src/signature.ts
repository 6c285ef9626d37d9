import { createPublicKey, verify } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), followed by the 32-byte key. */
const ED25519_SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)

/**
 * The bytes a BEP 44 mutable item's signature covers, for an item with no salt whose value is a
 * byte string: `3:seqi<seq>e1:v<length>:<value>`.
 *
 * @example
 * ```ts
 * import { signedBytes } from './signature.js'
 * new TextDecoder().decode(signedBytes(4, new TextEncoder().encode('Hello World!')))
 * // '3:seqi4e1:v12:Hello World!'
 * ```
 */
export function signedBytes (seq: number, value: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(`3:seqi${seq}e1:v${value.length}:`)
  const out = new Uint8Array(head.length + value.length)
  out.set(head)
  out.set(value, head.length)
  return out
}

/**
 * Checks an Ed25519 signature with `node:crypto` (several times faster than pure JavaScript,
 * which matters for a node that checks every `put` other nodes send it). False for anything
 * malformed, and for a key that is not a canonical point of large order: with a small-order key
 * (the all-zero one, say) a made-up signature verifies for any message, in OpenSSL as in
 * `@noble/curves`' default mode, so nobody would have to hold a private key to sign for it.
 * Never throws.
 *
 * @example
 * ```ts
 * import { verifyEd25519, signedBytes } from './signature.js'
 * verifyEd25519(identity.publicKey, signedBytes(1, value), identity.sign(signedBytes(1, value))) // true
 * verifyEd25519(new Uint8Array(32), anything, new Uint8Array(64))                              // false
 * ```
 */
export function verifyEd25519 (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false
  if (!(message instanceof Uint8Array)) return false
  if (!isStrongKey(publicKey)) return false
  try {
    const der = new Uint8Array(ED25519_SPKI_PREFIX.length + 32)
    der.set(ED25519_SPKI_PREFIX)
    der.set(publicKey, ED25519_SPKI_PREFIX.length)
    const key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
    return verify(null, message, key, signature)
  } catch {
    return false
  }
}

/** True if `publicKey` is the canonical encoding of an Ed25519 point of large order. */
export function isStrongKey (publicKey: Uint8Array): boolean {
  try {
    return !ed25519.Point.fromBytes(publicKey).isSmallOrder()
  } catch {
    return false // not a point, or not its canonical encoding
  }
}
