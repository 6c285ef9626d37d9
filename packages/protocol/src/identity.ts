import { ed25519 } from '@noble/curves/ed25519.js'
import { base58btc } from 'multiformats/bases/base58'
import { InvalidConfigError } from '@codio-chunk/interface'
import type { Identity } from '@codio-chunk/interface'

/** Characters of base58btc (Bitcoin's alphabet: no 0, O, I or l). */
const BASE58_TEXT = /^[1-9A-HJ-NP-Za-km-z]+$/

/** Protobuf prefix of a libp2p Ed25519 public key: field 1 (KeyType) = 1 (Ed25519), field 2 = 32 bytes. */
const ED25519_PUBLIC_KEY_PREFIX = Uint8Array.of(0x08, 0x01, 0x12, 0x20)

/**
 * A node's identity: an Ed25519 key pair whose public key gives the peer id, in libp2p's PeerId form
 * (`12D3KooW…`), so ids are recognisable in the IPFS world. Pure JavaScript (`@noble/curves`), so
 * it works the same in Node.js and in browsers.
 *
 * @example
 * ```ts
 * import { PeerIdentity } from '@codio-chunk/protocol'
 * const identity = PeerIdentity.generate()
 * identity.peerId                     // '12D3KooW…'
 * const saved = identity.privateKeySeed()   // 32 bytes to keep secret
 * PeerIdentity.fromSeed(saved).peerId === identity.peerId  // true
 * ```
 */
export class PeerIdentity implements Identity {
  /** The libp2p PeerId string. */
  readonly peerId: string
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
  readonly #seed: Uint8Array

  private constructor (seed: Uint8Array) {
    this.#seed = seed
    this.publicKey = ed25519.getPublicKey(seed)
    this.peerId = peerIdFromPublicKey(this.publicKey)
  }

  /** A new random identity (the seed comes from the platform's secure random source). */
  static generate (): PeerIdentity {
    return new PeerIdentity(ed25519.utils.randomSecretKey())
  }

  /** The identity whose private key has this 32-byte seed (as returned by {@link privateKeySeed}). */
  static fromSeed (seed: Uint8Array): PeerIdentity {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) {
      throw new InvalidConfigError(`An Ed25519 private key seed is 32 bytes, got ${seed instanceof Uint8Array ? seed.length : typeof seed}`)
    }
    return new PeerIdentity(Uint8Array.from(seed))
  }

  /** The 32-byte private key seed (a copy). Keep it secret; store it to keep the same peer id. */
  privateKeySeed (): Uint8Array {
    return Uint8Array.from(this.#seed)
  }

  /** Signs `data` with the private key (Ed25519, 64-byte signature). */
  sign (data: Uint8Array): Uint8Array {
    return ed25519.sign(data, this.#seed)
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

/**
 * The Ed25519 public key inside a libp2p PeerId string, or undefined if it is not an Ed25519 id.
 * Only the canonical spelling is an id: the string must be exactly what {@link peerIdFromPublicKey}
 * makes of the key (the base58 decoder alone reads some other strings, with characters outside
 * its alphabet, as the same bytes), so one key has one peer id.
 */
export function publicKeyFromPeerId (peerId: string): Uint8Array | undefined {
  if (typeof peerId !== 'string' || peerId.length > 64 || !BASE58_TEXT.test(peerId)) return undefined
  let bytes: Uint8Array
  try {
    bytes = base58btc.baseDecode(peerId)
  } catch {
    return undefined
  }
  if (bytes.length !== 2 + 36 || bytes[0] !== 0x00 || bytes[1] !== 36) return undefined
  for (let i = 0; i < 4; i++) if (bytes[2 + i] !== ED25519_PUBLIC_KEY_PREFIX[i]) return undefined
  const publicKey = bytes.slice(6)
  return peerIdFromPublicKey(publicKey) === peerId ? publicKey : undefined
}

/** Checks an Ed25519 signature made by the key behind `peerId`. False for anything malformed. */
export function verifyPeerSignature (peerId: string, data: Uint8Array, signature: Uint8Array): boolean {
  const publicKey = publicKeyFromPeerId(peerId)
  if (publicKey === undefined || !(signature instanceof Uint8Array) || signature.length !== 64) return false
  try {
    return ed25519.verify(signature, data, publicKey)
  } catch {
    return false
  }
}

/** True if `text` is a libp2p Ed25519 PeerId in its canonical spelling (see {@link publicKeyFromPeerId}). */
export function isPeerId (text: string): boolean {
  return publicKeyFromPeerId(text) !== undefined
}
