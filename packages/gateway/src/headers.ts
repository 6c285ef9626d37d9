import { BadRequestError } from './errors.js'
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http'

/** `Cache-Control` of every immutable `/ipfs/` answer. */
export const IMMUTABLE = 'public, max-age=29030400, immutable'
/** Longest `?filename=` accepted, in characters. */
export const MAX_FILENAME_LENGTH = 1024

/** Headers every `/ipfs/` answer carries (CORS included, as Kubo's gateway sends by default). */
export function baseHeaders (path: string): OutgoingHttpHeaders {
  return {
    'X-Ipfs-Path': path,
    'X-Content-Type-Options': 'nosniff',
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
    'Access-Control-Expose-Headers': 'Content-Length, Content-Range, X-Ipfs-Path, X-Ipfs-Roots',
    Vary: 'Accept'
  }
}

/**
 * True if `If-None-Match` names `etag` (weak comparison, as RFC 9110 says for this header) or is
 * `*`: the client's copy is current and the answer is 304.
 *
 * @example
 * ```ts
 * ifNoneMatch('W/"bafy…", "other"', '"bafy…"') // true
 * ```
 */
export function ifNoneMatch (req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match']
  if (header === undefined || header.length > 8192) return false
  const bare = etag.replace(/^W\//, '')
  return header.split(',').some(tag => {
    const t = tag.trim()
    return t === '*' || t.replace(/^W\//, '') === bare
  })
}

/**
 * `Content-Disposition` for a `?filename=` (and `?download=true`): `inline` unless a download
 * is asked for, with the name in ASCII (other characters, quotes, backslashes and control
 * characters as `_`) and, when it has non-ASCII characters, also UTF-8 percent-encoded
 * (`filename*`, RFC 8187). Throws BadRequestError for a name longer than {@link MAX_FILENAME_LENGTH}.
 *
 * @example
 * ```ts
 * contentDisposition('testтест.pdf', false)
 * // inline; filename="test____.pdf"; filename*=UTF-8''test%D1%82%D0%B5%D1%81%D1%82.pdf
 * ```
 */
export function contentDisposition (filename: string, attachment: boolean): string {
  if (filename.length > MAX_FILENAME_LENGTH) throw new BadRequestError(`filename is longer than ${MAX_FILENAME_LENGTH} characters`)
  const kind = attachment ? 'attachment' : 'inline'
  // eslint-disable-next-line no-control-regex
  const plain = filename.replace(/[^\x20-\x7e]|["\\]/gu, '_')
  if (plain === filename) return `${kind}; filename="${plain}"`
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${kind}; filename="${plain}"; filename*=UTF-8''${encoded}`
}

/** Headers of an error answer: a short text body, never cached. */
export function errorHeaders (body: string, retryAfter?: number, extra?: Readonly<Record<string, string>>): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    ...extra,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Access-Control-Allow-Origin': '*'
  }
  if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter)
  return headers
}
