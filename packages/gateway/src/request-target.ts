import { CID } from 'multiformats/cid'
import { BadRequestError, ContentNotFoundError, NotImplementedError, UriTooLongError } from './errors.js'

/** Longest request target (path and query) read, in characters. */
export const MAX_TARGET_LENGTH = 4096
/** Longest CID text accepted; real ones are under 100 characters. */
const MAX_CID_LENGTH = 200

/** What a request asks for. */
export type Route =
  /** `/ipfs/{cid}`: a content (file, raw block or CAR); `path` is the content path as asked (`X-Ipfs-Path`). */
  | { readonly kind: 'ipfs', readonly cid: CID, readonly path: string }
  /** `/routing/v1/providers/{cid}`. */
  | { readonly kind: 'providers', readonly cid: CID }

/** A parsed request target: the route and its query parameters. */
export interface RequestTarget {
  readonly route: Route
  readonly query: URLSearchParams
}

/**
 * Parses a request target (`req.url`) strictly, without normalising it: each path segment is
 * percent-decoded once and must then be free of `/`, `\`, `%` (a double-encoded path), control
 * characters and `.`/`..` segments; an empty segment is allowed only as a trailing slash. Throws
 * {@link BadRequestError} for a malformed target or CID, {@link UriTooLongError} past
 * {@link MAX_TARGET_LENGTH}, {@link NotImplementedError} for `/ipns/` and routing endpoints other
 * than providers, {@link ContentNotFoundError} for anything else (including a path inside a
 * content: contents here are single files).
 *
 * @example
 * ```ts
 * const { route, query } = parseTarget('/ipfs/bafkqaaa?format=raw')
 * route.kind               // 'ipfs'
 * query.get('format')      // 'raw'
 * parseTarget('/ipfs/%252e%252e/etc') // throws BadRequestError
 * ```
 */
export function parseTarget (url: string | undefined): RequestTarget {
  if (typeof url !== 'string' || !url.startsWith('/')) throw new BadRequestError('The request target must be an absolute path such as /ipfs/{cid}')
  if (url.length > MAX_TARGET_LENGTH) throw new UriTooLongError(`The request target is longer than ${MAX_TARGET_LENGTH} characters`)
  const q = url.indexOf('?')
  const rawPath = q === -1 ? url : url.slice(0, q)
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
  const segments = rawPath.split('/').slice(1).map(decodeSegment)
  // Empty segments only as a trailing slash.
  for (let i = 0; i < segments.length - 1; i++) if (segments[i] === '') throw new BadRequestError('Empty path segments (//) are not allowed')
  if (segments.at(-1) === '' && segments.length > 1) segments.pop()
  const [namespace, ...rest] = segments
  if (namespace === 'ipfs') {
    if (rest.length === 0 || rest[0] === '') throw new BadRequestError('A CID is needed: /ipfs/{cid}')
    const cid = parseCid(rest[0])
    if (rest.length > 1) {
      throw new ContentNotFoundError(`/${rest.slice(1).join('/')} does not exist: this gateway serves UnixFS files, which have no paths inside them`)
    }
    return { route: { kind: 'ipfs', cid, path: `/ipfs/${rest[0]}` }, query }
  }
  if (namespace === 'ipns') throw new NotImplementedError('/ipns/ is not supported by this gateway: use /ipfs/{cid}')
  if (namespace === 'routing') {
    if (rest[0] !== 'v1') throw new BadRequestError('Unknown routing API version: use /routing/v1/')
    if (rest[1] === 'providers' && rest.length === 3) return { route: { kind: 'providers', cid: parseCid(rest[2]) }, query }
    if (rest[1] === 'peers' || rest[1] === 'ipns' || rest[1] === 'dht') throw new NotImplementedError(`/routing/v1/${rest[1]} is not supported by this gateway`)
    throw new BadRequestError('Unknown routing path: this gateway answers /routing/v1/providers/{cid}')
  }
  throw new ContentNotFoundError('Nothing here: this gateway answers /ipfs/{cid} and /routing/v1/providers/{cid}')
}

/** One path segment, percent-decoded once and checked (see {@link parseTarget}). */
function decodeSegment (raw: string): string {
  let segment: string
  try {
    segment = decodeURIComponent(raw)
  } catch (err) {
    throw new BadRequestError('The path holds an invalid percent-encoding', { cause: err })
  }
  if (segment === '.' || segment === '..') throw new BadRequestError('Dot segments (. and ..) are not allowed in the path')
  // eslint-disable-next-line no-control-regex
  if (/[/\\%\u0000-\u001f\u007f]/.test(segment)) throw new BadRequestError('A path segment holds a character that is not allowed there (/, \\, %, or a control character)')
  return segment
}

/** Parses a CID the way IPFS gateways take it: CIDv0 (`Qm…`), or CIDv1 in base32 or base58btc. */
export function parseCid (text: string): CID {
  if (text.length > MAX_CID_LENGTH) throw new BadRequestError(`"${text.slice(0, 60)}…" is too long to be a CID`)
  try {
    return CID.parse(text)
  } catch (err) {
    throw new BadRequestError(`"${text}" is not a valid CID (expected Qm… or a CIDv1 in base32 such as bafy…)`, { cause: err })
  }
}
