/** Longest `Range` header read; a longer one is ignored (the whole content is sent). */
export const MAX_RANGE_HEADER = 1024
/** Most ranges in one `Range` header; with more the header is ignored. */
export const MAX_RANGES = 64

/** What a `Range` header asks of a content of known size. */
export type RangeRequest =
  /** No usable `Range` header: send everything (200). */
  | { readonly kind: 'none' }
  /** Bytes `start`..`end` inclusive (206). */
  | { readonly kind: 'partial', readonly start: number, readonly end: number }
  /** Syntactically fine, but no range overlaps the content (416). */
  | { readonly kind: 'unsatisfiable' }

const NONE: RangeRequest = { kind: 'none' }

/**
 * Reads a `Range` header (RFC 9110, section 14) against a content of `size` bytes. Only the
 * `bytes` unit is understood. A header that is malformed, too long, has too many ranges, or
 * another unit is ignored (`none`), as RFC 9110 allows. `a-b`, `a-` and suffix `-n` ranges are
 * read; an end past the content is clamped to its last byte, and numbers of more than 15 digits
 * stand for "beyond any content". Several ranges are answered as Kubo does: with the first one
 * that overlaps the content (a single-part 206), not a multipart body. No range overlapping the
 * content (a start past the end, a suffix of 0, any range of an empty content) is `unsatisfiable`.
 *
 * @example
 * ```ts
 * parseRange('bytes=0-99', 1000)   // { kind: 'partial', start: 0, end: 99 }
 * parseRange('bytes=-100', 1000)   // { kind: 'partial', start: 900, end: 999 }
 * parseRange('bytes=5000-', 1000)  // { kind: 'unsatisfiable' }
 * parseRange('items=0-1', 1000)    // { kind: 'none' }
 * ```
 */
export function parseRange (header: string | undefined, size: number): RangeRequest {
  if (header === undefined || header.length > MAX_RANGE_HEADER) return NONE
  const match = /^\s*bytes\s*=(.*)$/i.exec(header)
  if (match === null) return NONE
  const specs = match[1].split(',').map(s => s.trim()).filter(s => s !== '')
  if (specs.length === 0 || specs.length > MAX_RANGES) return NONE
  let first: RangeRequest | undefined
  for (const spec of specs) {
    const parts = /^(\d*)\s*-\s*(\d*)$/.exec(spec)
    if (parts === null || (parts[1] === '' && parts[2] === '')) return NONE
    const a = parts[1] === '' ? undefined : toNumber(parts[1])
    const b = parts[2] === '' ? undefined : toNumber(parts[2])
    if (a !== undefined && b !== undefined && b < a) return NONE
    if (first !== undefined) continue // the rest is only checked for syntax
    if (a === undefined) {
      // Suffix range: the last b bytes.
      if ((b as number) > 0 && size > 0) first = { kind: 'partial', start: Math.max(0, size - (b as number)), end: size - 1 }
    } else if (a < size) {
      first = { kind: 'partial', start: a, end: Math.min(b ?? size - 1, size - 1) }
    }
  }
  return first ?? { kind: 'unsatisfiable' }
}

/** Decimal digits as a number; more than 15 digits is beyond any content (MAX_SAFE_INTEGER). */
function toNumber (digits: string): number {
  return digits.length > 15 ? Number.MAX_SAFE_INTEGER : Number(digits)
}

/**
 * True if `If-Range` lets a `Range` header count: absent, or naming exactly this response's
 * strong `etag` (a date, a weak tag or another tag sends the whole content).
 *
 * @example
 * ```ts
 * ifRangeAllows('"bafy…"', '"bafy…"') // true
 * ifRangeAllows('W/"bafy…"', '"bafy…"') // false
 * ```
 */
export function ifRangeAllows (ifRange: string | undefined, etag: string): boolean {
  if (ifRange === undefined) return true
  return ifRange.trim() === etag
}
