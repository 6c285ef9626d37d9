import { CID } from 'multiformats/cid'
import { ProtocolError } from '@codio-chunk/interface'

/** Most distinct CIDs remembered; the cache starts over when it is full, so it stays bounded. */
export const CID_CACHE_SIZE = 1024

/** By a hash of their bytes; a hit is checked byte for byte, so a collision only costs a decode. */
const decoded = new Map<number, CID>()

/**
 * `CID.decode` for CIDs that arrive again and again, refusing any but the canonical encoding: every
 * `have`, `request-chunk`, `interested` and `bitfield` names its content, so a swarm's peers send
 * the same few CIDs thousands of times. Returns the same immutable CID object for the same bytes,
 * which also keeps the string form that `toString()` caches on it (the engine keys its swarms by
 * that string). Bounded: a peer sending endless distinct CIDs only makes the cache start over.
 *
 * The CID keeps a copy of `bytes` in memory of its own, never a view of the caller's buffer (a
 * frame of megabytes would otherwise stay alive as long as the CID is cached or used). Bytes that
 * are not exactly the encoding of the CID they decode to (`CID.decode(bytes).bytes` differs: a
 * `00 <codec> 12 20 …` prefix read as a CIDv0, a varint out of the safe-integer range, bytes left
 * over) throw `ProtocolError`, as does anything `CID.decode` refuses.
 *
 * @example
 * ```ts
 * import { decodeCid } from '@codio-chunk/protocol'
 * const a = decodeCid(cid.bytes)
 * const b = decodeCid(new Uint8Array(cid.bytes))
 * a === b // true
 * ```
 */
export function decodeCid (bytes: Uint8Array): CID {
  const key = fnv1a(bytes)
  const known = decoded.get(key)
  if (known !== undefined && sameBytes(known.bytes, bytes)) return known
  // A real copy: `Buffer#slice` (frames from a socket are Buffers) would return a view of the frame.
  const own = new Uint8Array(bytes)
  let cid: CID
  try {
    cid = CID.decode(own)
  } catch (err) {
    throw new ProtocolError(`The ${bytes.length} bytes are not a binary CID: ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }
  if (!sameBytes(cid.bytes, own)) {
    throw new ProtocolError(`The ${bytes.length} bytes are not the canonical encoding of the CID they decode to (${nameOf(cid)}, ${cid.bytes.length} bytes); a CID on the wire must be byte for byte the CID's own encoding`)
  }
  if (decoded.size >= CID_CACHE_SIZE) decoded.clear()
  decoded.set(key, cid)
  return cid
}

function nameOf (cid: CID): string {
  try {
    return cid.toString()
  } catch {
    return `a CIDv${cid.version}`
  }
}

/** 32-bit FNV-1a. */
function fnv1a (bytes: Uint8Array): number {
  let h = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193)
  return h >>> 0
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
