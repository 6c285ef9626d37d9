import { CID } from 'multiformats/cid'

/** Most distinct CIDs remembered; the cache starts over when it is full, so it stays bounded. */
export const CID_CACHE_SIZE = 1024

/** By a hash of their bytes; a hit is checked byte for byte, so a collision only costs a decode. */
const decoded = new Map<number, CID>()

/**
 * `CID.decode` for CIDs that arrive again and again: every `have`, `request-chunk`, `interested`
 * and `bitfield` names its content, so a swarm's peers send the same few CIDs thousands of times.
 * Returns the same immutable CID object for the same bytes, which also keeps the string form that
 * `toString()` caches on it (the engine keys its swarms by that string). Bounded: a peer sending
 * endless distinct CIDs only makes the cache start over. Throws what `CID.decode` throws.
 *
 * @example
 * ```ts
 * const a = decodeCid(cid.bytes)
 * const b = decodeCid(new Uint8Array(cid.bytes))
 * a === b // true
 * ```
 */
export function decodeCid (bytes: Uint8Array): CID {
  const key = fnv1a(bytes)
  const known = decoded.get(key)
  if (known !== undefined && sameBytes(known.bytes, bytes)) return known
  // Copied so a long-lived CID does not keep the whole read buffer alive.
  const cid = CID.decode(bytes.slice())
  if (decoded.size >= CID_CACHE_SIZE) decoded.clear()
  decoded.set(key, cid)
  return cid
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
