import { generateKeyPairSync, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { base58btc } from 'multiformats/bases/base58'
import { InvalidConfigError } from './errors.js'

/** Protobuf prefix of a libp2p Ed25519 public key: field 1 (KeyType) = 1 (Ed25519), field 2 = 32 bytes. */
const ED25519_PUBLIC_KEY_PREFIX = Uint8Array.of(0x08, 0x01, 0x12, 0x20)
/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20)
/** DER prefix of an SPKI Ed25519 public key; the 32-byte key follows. */
const SPKI_ED25519_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)

/**
 * A node's identity: an Ed25519 key pair whose public key gives the peer id, in libp2p's PeerId form
 * (`12D3KooW…`), so ids are recognisable in the IPFS world.
 *
 * @example
 * ```ts
 * import { PeerIdentity } from '@codio-chunk/core'
 * const identity = PeerIdentity.generate()
 * identity.peerId                     // '12D3KooW…'
 * const saved = identity.privateKeySeed()   // 32 bytes to keep secret
 * PeerIdentity.fromSeed(saved).peerId === identity.peerId  // true
 * ```
 */
export class PeerIdentity {
  /** The libp2p PeerId string. */
  readonly peerId: string
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
  private readonly privateKey: KeyObject

  private constructor (privateKey: KeyObject) {
    this.privateKey = privateKey
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
    this.publicKey = new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length))
    this.peerId = peerIdFromPublicKey(this.publicKey)
  }

  /** A new random identity. */
  static generate (): PeerIdentity {
    return new PeerIdentity(generateKeyPairSync('ed25519').privateKey)
  }

  /** The identity whose private key has this 32-byte seed (as returned by {@link privateKeySeed}). */
  static fromSeed (seed: Uint8Array): PeerIdentity {
    if (seed.length !== 32) throw new InvalidConfigError(`An Ed25519 private key seed is 32 bytes, got ${seed.length}`)
    const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32)
    der.set(PKCS8_ED25519_PREFIX)
    der.set(seed, PKCS8_ED25519_PREFIX.length)
    return new PeerIdentity(createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }))
  }

  /** The 32-byte private key seed. Keep it secret; store it to keep the same peer id. */
  privateKeySeed (): Uint8Array {
    const der = this.privateKey.export({ format: 'der', type: 'pkcs8' })
    return new Uint8Array(der.subarray(PKCS8_ED25519_PREFIX.length))
  }

  /** The private key as a Node.js KeyObject (for transports that build TLS certificates from it). */
  keyObject (): KeyObject {
    return this.privateKey
  }

  /** Signs `data` with the private key (Ed25519, 64-byte signature). */
  sign (data: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, data, this.privateKey))
  }
}

/** The libp2p PeerId string of an Ed25519 public key: base58btc of the identity multihash of its protobuf form. */
export function peerIdFromPublicKey (publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new InvalidConfigError(`An Ed25519 public key is 32 bytes, got ${publicKey.length}`)
  const protobuf = new Uint8Array(ED25519_PUBLIC_KEY_PREFIX.length + 32)
  protobuf.set(ED25519_PUBLIC_KEY_PREFIX)
  protobuf.set(publicKey, ED25519_PUBLIC_KEY_PREFIX.length)
  const multihash = new Uint8Array(2 + protobuf.length)
  multihash[0] = 0x00 // identity
  multihash[1] = protobuf.length
  multihash.set(protobuf, 2)
  return base58btc.baseEncode(multihash)
}

/** The Ed25519 public key inside a libp2p PeerId string, or undefined if it is not an Ed25519 id. */
export function publicKeyFromPeerId (peerId: string): Uint8Array | undefined {
  let bytes: Uint8Array
  try {
    bytes = base58btc.baseDecode(peerId)
  } catch {
    return undefined
  }
  if (bytes.length !== 2 + 36 || bytes[0] !== 0x00 || bytes[1] !== 36) return undefined
  for (let i = 0; i < 4; i++) if (bytes[2 + i] !== ED25519_PUBLIC_KEY_PREFIX[i]) return undefined
  return bytes.slice(6)
}

/** Checks an Ed25519 signature made by the key behind `peerId`. */
export function verifyPeerSignature (peerId: string, data: Uint8Array, signature: Uint8Array): boolean {
  const publicKey = publicKeyFromPeerId(peerId)
  if (publicKey === undefined) return false
  const der = new Uint8Array(SPKI_ED25519_PREFIX.length + 32)
  der.set(SPKI_ED25519_PREFIX)
  der.set(publicKey, SPKI_ED25519_PREFIX.length)
  try {
    return verify(null, data, createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }), signature)
  } catch {
    return false
  }
}

/** True if `text` looks like a libp2p Ed25519 PeerId. */
export function isPeerId (text: string): boolean {
  return publicKeyFromPeerId(text) !== undefined
}
