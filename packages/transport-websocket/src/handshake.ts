import { peerIdFromPublicKey, verifyPeerSignature } from '@codio-chunk/protocol'
import { ProtocolError } from '@codio-chunk/interface'
import type { Identity } from '@codio-chunk/interface'

/** ASCII `CDWS`: the first bytes of a challenge, so a peer speaking something else is told apart at once. */
export const CHALLENGE_MAGIC = Uint8Array.of(0x43, 0x44, 0x57, 0x53)
/** The handshake version this implementation speaks. */
export const HANDSHAKE_VERSION = 1
/** Random bytes each side contributes. */
export const NONCE_BYTES = 32
/** A challenge message: magic, version, nonce. */
export const CHALLENGE_BYTES = CHALLENGE_MAGIC.length + 1 + NONCE_BYTES
/** A proof message: the Ed25519 public key, then the signature. */
export const PROOF_BYTES = 32 + 64
/** The domain-separation string at the start of every signed message (ASCII, no terminator). */
export const SIGNING_CONTEXT = 'codio-chunk/ws-auth/1'

/** Which end of the WebSocket a side is: the dialler (client) or the listener (server). */
export type HandshakeRole = 'dialler' | 'listener'

/** The direction byte of the signed message: whose proof it is. */
const DIRECTION: Record<HandshakeRole, number> = { dialler: 0x01, listener: 0x02 }

/** Close codes a side uses when the handshake fails (private-use range, which browsers may send). */
export const CloseCode = {
  Normal: 1000,
  /** A malformed challenge or proof, or a signature that does not verify. */
  HandshakeRefused: 4001,
  /** The dialler expected another peer id at this address. */
  PeerIdMismatch: 4002,
  /** The handshake did not complete in time. */
  HandshakeTimeout: 4003,
  /** The listener is busy with other handshakes or closing. */
  Busy: 4004
} as const

/**
 * The authentication handshake failed: the peer sent something other than a valid challenge and
 * proof, or its signature does not verify. A `ProtocolError` (`code` `ERR_PROTOCOL`); the
 * connection is closed. A dial that fails so rejects with a `DialError` whose `cause` is this.
 */
export class HandshakeError extends ProtocolError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'HandshakeError'
  }
}

const contextBytes = new TextEncoder().encode(SIGNING_CONTEXT)

/**
 * The bytes a side signs to prove its key: `SIGNING_CONTEXT`, a zero byte, the direction (`0x01`
 * for the dialler's proof, `0x02` for the listener's), the dialler's nonce, the listener's nonce.
 *
 * @example
 * ```ts
 * const message = signedMessage('listener', diallerNonce, listenerNonce) // 87 bytes
 * ```
 */
export function signedMessage (signer: HandshakeRole, diallerNonce: Uint8Array, listenerNonce: Uint8Array): Uint8Array {
  const out = new Uint8Array(contextBytes.length + 2 + 2 * NONCE_BYTES)
  out.set(contextBytes, 0)
  let p = contextBytes.length
  out[p++] = 0x00
  out[p++] = DIRECTION[signer]
  out.set(diallerNonce, p)
  out.set(listenerNonce, p + NONCE_BYTES)
  return out
}

/** A challenge message carrying `nonce`. */
export function encodeChallenge (nonce: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHALLENGE_BYTES)
  out.set(CHALLENGE_MAGIC, 0)
  out[CHALLENGE_MAGIC.length] = HANDSHAKE_VERSION
  out.set(nonce, CHALLENGE_MAGIC.length + 1)
  return out
}

/** The nonce of a peer's challenge; throws HandshakeError for anything else. */
export function decodeChallenge (bytes: Uint8Array): Uint8Array {
  for (let i = 0; i < CHALLENGE_MAGIC.length; i++) {
    if (bytes[i] !== CHALLENGE_MAGIC[i]) throw new HandshakeError('The peer did not open with a codio-chunk WebSocket challenge (wrong magic bytes): is it a codio-chunk node?')
  }
  const version = bytes[CHALLENGE_MAGIC.length]
  if (version !== HANDSHAKE_VERSION) throw new HandshakeError(`The peer speaks WebSocket handshake version ${String(version)}; this node speaks ${HANDSHAKE_VERSION}`)
  if (bytes.length !== CHALLENGE_BYTES) throw new HandshakeError(`The peer's challenge is ${bytes.length} bytes; a version-1 challenge is ${CHALLENGE_BYTES}`)
  return bytes.slice(CHALLENGE_MAGIC.length + 1)
}

/** What feeding a peer's message to the handshake gives: bytes to send, and the proven peer id once done. */
export interface HandshakeStep {
  send?: Uint8Array
  peerId?: string
}

/**
 * One side of the authentication handshake that runs on a WebSocket before any codio-chunk frame
 * (PROTOCOL.md, section 9, "WebSocket"). Both sides send a {@link challenge} at once; each answers
 * the peer's challenge with a proof (its public key and its signature over both nonces and the
 * direction); a valid proof from the peer yields its peer id. Pure: it moves no bytes itself.
 *
 * @example
 * ```ts
 * const a = new AuthHandshake(PeerIdentity.generate(), 'dialler')
 * const b = new AuthHandshake(PeerIdentity.generate(), 'listener')
 * const proofA = a.receive(b.challenge()).send!
 * const proofB = b.receive(a.challenge()).send!
 * a.receive(proofB).peerId // b's peer id
 * b.receive(proofA).peerId // a's peer id
 * ```
 */
export class AuthHandshake {
  private readonly nonce: Uint8Array
  private peerNonce: Uint8Array | undefined
  private provenPeerId: string | undefined

  constructor (private readonly identity: Identity, private readonly role: HandshakeRole, nonce = randomNonce()) {
    if (nonce.length !== NONCE_BYTES) throw new RangeError(`A handshake nonce is ${NONCE_BYTES} bytes`)
    this.nonce = nonce
  }

  /** The first message this side sends. */
  challenge (): Uint8Array {
    return encodeChallenge(this.nonce)
  }

  /** The peer id the peer proved, once it has. */
  get peerId (): string | undefined {
    return this.provenPeerId
  }

  /** Takes the peer's next handshake message. Throws HandshakeError if it is not the expected one or does not verify. */
  receive (bytes: Uint8Array): HandshakeStep {
    if (this.provenPeerId !== undefined) throw new HandshakeError('The handshake is already complete')
    if (this.peerNonce === undefined) {
      const nonce = decodeChallenge(bytes)
      if (equal(nonce, this.nonce)) throw new HandshakeError('The peer sent back this side\'s own challenge (a reflection); refusing it')
      this.peerNonce = nonce
      return { send: this.proof() }
    }
    if (bytes.length !== PROOF_BYTES) throw new HandshakeError(`The peer's proof is ${bytes.length} bytes; a proof is ${PROOF_BYTES} (public key and signature)`)
    const publicKey = bytes.subarray(0, 32)
    const signature = bytes.subarray(32, PROOF_BYTES)
    let peerId: string
    try {
      peerId = peerIdFromPublicKey(publicKey)
    } catch (err) {
      throw new HandshakeError('The peer\'s proof holds no valid Ed25519 public key', { cause: err })
    }
    const peerRole: HandshakeRole = this.role === 'dialler' ? 'listener' : 'dialler'
    if (!verifyPeerSignature(peerId, this.signed(peerRole), signature)) {
      throw new HandshakeError(`The signature of peer ${peerId} over this connection's challenges does not verify: it does not hold that key`)
    }
    this.provenPeerId = peerId
    return { peerId }
  }

  private proof (): Uint8Array {
    const out = new Uint8Array(PROOF_BYTES)
    out.set(this.identity.publicKey, 0)
    out.set(this.identity.sign(this.signed(this.role)), 32)
    return out
  }

  private signed (signer: HandshakeRole): Uint8Array {
    const peer = this.peerNonce as Uint8Array
    return this.role === 'dialler'
      ? signedMessage(signer, this.nonce, peer)
      : signedMessage(signer, peer, this.nonce)
  }
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** 32 bytes from the platform's secure random source (Web Crypto, in browsers and Node.js alike). */
export function randomNonce (): Uint8Array {
  const crypto = (globalThis as unknown as { crypto?: { getRandomValues: (bytes: Uint8Array) => Uint8Array } }).crypto
  if (crypto === undefined) throw new HandshakeError('This runtime has no crypto.getRandomValues; the WebSocket handshake needs a secure random source')
  return crypto.getRandomValues(new Uint8Array(NONCE_BYTES))
}
