import { CID } from 'multiformats/cid'
import { base32 } from 'multiformats/bases/base32'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import { InvalidContentIdError } from './errors.js'

const RAW = 0x55
const DAG_PB = 0x70
const SHA2_256 = 0x12
const BLAKE3 = 0x1e
const DIGEST_LENGTH = 32
/** Longest CID string accepted; real ones are under 70 characters. */
const MAX_TEXT_LENGTH = 200
/** Longest binary CID accepted. */
const MAX_BYTES_LENGTH = 100

const VALID_FORM = 'a valid content id is a CID such as "Qm…" (CIDv0, 46 characters) or "bafy…"/"bafk…" (CIDv1 in base32) ' +
  'whose codec is raw (0x55) or dag-pb (0x70) and whose hash is a 32-byte sha2-256 or blake3 digest'

/**
 * The address of a content: the root CID of its UnixFS DAG, exactly as IPFS computes it (`ipfs add`
 * prints the same CID for the same bytes and options). Only CIDs this node can fetch and verify are
 * content ids: codec raw or dag-pb, hash sha2-256 or blake3.
 *
 * @example
 * ```ts
 * import { ContentId } from '@codio-chunk/core'
 * const id = ContentId.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
 * id.version // 0
 * id.equals(ContentId.parse(id.toString())) // true
 * ```
 */
export class ContentId {
  readonly cid: CID

  private constructor (cid: CID) {
    this.cid = cid
  }

  /** Wraps a CID. Throws `InvalidContentIdError` if it is not a content id (see the class docs). */
  static fromCid (cid: CID): ContentId {
    const parsed = CID.asCID(cid)
    if (parsed === null) throw new InvalidContentIdError(`Expected a CID object; ${VALID_FORM}`)
    const problem = contentIdProblem(parsed)
    if (problem !== undefined) throw new InvalidContentIdError(`${parsed.toString()} is not a content id: ${problem}; ${VALID_FORM}`)
    return new ContentId(parsed)
  }

  /**
   * Parses a CID string (`Qm…`, `bafy…`, `bafk…`, `z…`, `k…`), surrounding whitespace ignored.
   * Throws `InvalidContentIdError`, also for a string that is not exactly the CID's own encoding in
   * its base (the base58 and base36 decoders alone read characters outside their alphabets, and
   * bytes that are not the canonical binary CID, as some CID), so one content has one string per
   * base and `toString()` gives the canonical form.
   */
  static parse (text: string): ContentId {
    if (typeof text !== 'string') throw new InvalidContentIdError(`Expected a CID string, got ${typeof text}; ${VALID_FORM}`)
    const trimmed = text.trim()
    if (trimmed === '') throw new InvalidContentIdError(`The content id is empty; ${VALID_FORM}`)
    const shown = trimmed.length > 80 ? `${trimmed.slice(0, 80)}…` : trimmed
    if (trimmed.length > MAX_TEXT_LENGTH) throw new InvalidContentIdError(`"${shown}" is too long to be a CID; ${VALID_FORM}`)
    let cid: CID
    try {
      cid = CID.parse(trimmed)
    } catch (err) {
      throw new InvalidContentIdError(`"${shown}" is not a CID; ${VALID_FORM}`, { cause: err })
    }
    if (!isCanonicalText(trimmed, cid)) throw new InvalidContentIdError(`"${shown}" is not the canonical spelling of a CID (it holds characters outside its base's alphabet or a non-canonical binary CID); ${VALID_FORM}`)
    const problem = contentIdProblem(cid)
    if (problem !== undefined) throw new InvalidContentIdError(`"${shown}" is not a content id: ${problem}; ${VALID_FORM}`)
    return new ContentId(cid)
  }

  /**
   * Reads the binary form of a CID (as in {@link ContentId.bytes}). Only the canonical encoding is
   * accepted: `bytes` must be byte for byte the encoding of the CID they decode to, so one content
   * has one binary form (refused: a `00 <codec> 12 20 …` prefix that `CID.decode` reads as a
   * CIDv0, varints out of the safe-integer range, trailing bytes). Keeps a copy of `bytes`, not a
   * view. Throws `InvalidContentIdError`.
   */
  static fromBytes (bytes: Uint8Array): ContentId {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > MAX_BYTES_LENGTH) {
      throw new InvalidContentIdError(`Expected 1 to ${MAX_BYTES_LENGTH} bytes of binary CID; ${VALID_FORM}`)
    }
    const own = new Uint8Array(bytes)
    let cid: CID
    try {
      cid = CID.decode(own)
    } catch (err) {
      throw new InvalidContentIdError(`The ${bytes.length} bytes given are not a binary CID; ${VALID_FORM}`, { cause: err })
    }
    if (!sameBytes(cid.bytes, own)) {
      throw new InvalidContentIdError(`The ${bytes.length} bytes given are not the canonical encoding of the CID they decode to (${cid.bytes.length} bytes); send the CID's own bytes. ${VALID_FORM}`)
    }
    const problem = contentIdProblem(cid)
    if (problem !== undefined) throw new InvalidContentIdError(`${cid.toString()} is not a content id: ${problem}; ${VALID_FORM}`)
    return new ContentId(cid)
  }

  /** The binary CID. */
  get bytes (): Uint8Array {
    return this.cid.bytes
  }

  /** The CID version: 0 (`Qm…`) or 1. */
  get version (): 0 | 1 {
    return this.cid.version
  }

  /** The CID string: base58btc for CIDv0, base32 for CIDv1 (as `ipfs add` prints it). */
  toString (): string {
    return this.cid.toString()
  }

  /** The CID string, so `JSON.stringify` writes content ids as strings. */
  toJSON (): string {
    return this.cid.toString()
  }

  equals (other: ContentId): boolean {
    return this.cid.equals(other.cid)
  }
}

/** Why `cid` cannot be a content id, or undefined if it can. */
function contentIdProblem (cid: CID): string | undefined {
  if (cid.code !== RAW && cid.code !== DAG_PB) return `its codec 0x${cid.code.toString(16)} is neither raw nor dag-pb`
  const hash = cid.multihash.code
  if (hash === 0x00) return 'it uses the identity hash, which inlines data instead of hashing it'
  if (hash !== SHA2_256 && hash !== BLAKE3) return `its hash 0x${hash.toString(16)} is neither sha2-256 (0x12) nor blake3 (0x1e)`
  if (cid.multihash.size !== DIGEST_LENGTH) return `its digest is ${cid.multihash.size} bytes, not ${DIGEST_LENGTH}`
  return undefined
}

/**
 * True if `text` is exactly the encoding of `cid` in the base its first character names: base58btc
 * without prefix for a CIDv0 (`Qm…`), or the multibase forms `z…` (base58btc), `b…` (base32) and
 * `k…` (base36) for a CIDv1. Encodings are one-to-one, so this also makes the binary CID canonical.
 */
function isCanonicalText (text: string, cid: CID): boolean {
  if (text[0] === 'Q') return cid.version === 0 && base58btc.baseEncode(cid.bytes) === text
  if (cid.version !== 1) return false
  switch (text[0]) {
    case base58btc.prefix: return base58btc.encode(cid.bytes) === text
    case base32.prefix: return base32.encode(cid.bytes) === text
    case base36.prefix: return base36.encode(cid.bytes) === text
    default: return false
  }
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
