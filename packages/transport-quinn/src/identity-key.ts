import { InvalidConfigError } from '@codio-chunk/interface'
import { peerIdFromPublicKey } from '@codio-chunk/protocol'
import type { Identity } from '@codio-chunk/interface'

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
 * The libp2p protobuf encoding of a node identity (an Ed25519 key pair), the form libp2p TLS (and
 * so the quinn binding) reads its key from. Throws `InvalidConfigError` if the identity is not an
 * Ed25519 key pair whose public key gives the peer id it names.
 *
 * @example
 * ```ts
 * import { PeerIdentity } from '@codio-chunk/protocol'
 * import { libp2pKey } from '@codio-chunk/transport-quinn'
 * const identity = PeerIdentity.generate()
 * libp2pKey(identity).peerId === identity.peerId   // true
 * libp2pKey(identity).privateKeyProto.length       // 68
 * ```
 */
export function libp2pKey (identity: Identity): Libp2pKey {
  const seed = typeof identity?.privateKeySeed === 'function' ? identity.privateKeySeed() : undefined
  const publicKey = identity?.publicKey
  if (!(seed instanceof Uint8Array) || seed.length !== 32 || !(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new InvalidConfigError('The quinn transport needs the node identity (an Ed25519 key pair such as PeerIdentity.generate()); it gets it from the node\'s components')
  }
  const peerId = peerIdFromPublicKey(publicKey)
  if (peerId !== identity.peerId) throw new InvalidConfigError(`The identity's public key gives peer id ${peerId}, but it names itself ${identity.peerId}`)
  const proto = new Uint8Array(ED25519_PRIVATE_KEY_HEAD.length + 64)
  proto.set(ED25519_PRIVATE_KEY_HEAD)
  proto.set(seed, ED25519_PRIVATE_KEY_HEAD.length)
  proto.set(publicKey, ED25519_PRIVATE_KEY_HEAD.length + 32)
  seed.fill(0)
  return { peerId, privateKeyProto: proto }
}
