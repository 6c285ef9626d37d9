import { createPublicKey, type KeyObject } from 'node:crypto'
import { InvalidConfigError, PeerIdentity, peerIdFromPublicKey } from '@codio-chunk/core'

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX_LENGTH = 16
/** DER prefix of an SPKI Ed25519 public key; the 32-byte key follows. */
const SPKI_ED25519_PREFIX_LENGTH = 12
/** libp2p `PrivateKey` protobuf head: field 1 (KeyType) = 1 (Ed25519), field 2 = 64 bytes. */
const ED25519_PRIVATE_KEY_HEAD = Uint8Array.of(0x08, 0x01, 0x12, 0x40)

/** A node identity as the quinn binding takes it. */
export interface Libp2pKey {
  /** The peer id the key gives (what peers see through libp2p TLS). */
  peerId: string
  /** libp2p's protobuf form of the private key: Ed25519, 32-byte seed then 32-byte public key. */
  privateKeyProto: Uint8Array
}

/**
 * The libp2p protobuf encoding of an Ed25519 identity, the form libp2p TLS (and so the quinn
 * binding) reads its key from. The peer id is the one `PeerIdentity` gives for the same key.
 * Throws `InvalidConfigError` for anything but an Ed25519 private key.
 *
 * @example
 * ```ts
 * import { PeerIdentity } from '@codio-chunk/core'
 * import { libp2pKey } from '@codio-chunk/transport-quinn'
 * const identity = PeerIdentity.generate()
 * libp2pKey(identity).peerId === identity.peerId   // true
 * libp2pKey(identity).privateKeyProto.length       // 68
 * ```
 */
export function libp2pKey (privateKey: PeerIdentity | KeyObject): Libp2pKey {
  const identity = privateKey instanceof PeerIdentity ? privateKey : undefined
  const key = identity?.keyObject() ?? (privateKey as KeyObject)
  if (key?.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new InvalidConfigError('quinnTransport({ privateKey }) needs a PeerIdentity or an Ed25519 private KeyObject (the node identity); got ' +
      (key?.type === undefined ? typeof privateKey : `a ${key.asymmetricKeyType ?? 'symmetric'} ${key.type} key`))
  }
  const seed = key.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX_LENGTH)
  const publicKey = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX_LENGTH)
  const proto = new Uint8Array(ED25519_PRIVATE_KEY_HEAD.length + 64)
  proto.set(ED25519_PRIVATE_KEY_HEAD)
  proto.set(seed, ED25519_PRIVATE_KEY_HEAD.length)
  proto.set(publicKey, ED25519_PRIVATE_KEY_HEAD.length + 32)
  return { peerId: identity?.peerId ?? peerIdFromPublicKey(new Uint8Array(publicKey)), privateKeyProto: proto }
}
