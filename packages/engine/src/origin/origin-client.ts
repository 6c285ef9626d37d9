import { abortError } from '@codio-chunk/interface'
import { OriginHttpError, OriginMisbehaviorError, OriginUnreachableError } from './errors.js'
import type { CID } from 'multiformats/cid'

/** The media type of a raw block (the trustless gateway's `?format=raw`). */
export const RAW_BLOCK_TYPE = 'application/vnd.ipld.raw'
/** Redirects followed for one block request; more is a loop as far as the node is concerned. */
export const MAX_REDIRECTS = 3
/** Longest `Retry-After` honoured, in milliseconds. */
const MAX_RETRY_AFTER = 300_000

/** A `fetch` function: the global one (undici on Node.js 20+) unless one is injected. */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>

/** One raw block request to an origin (see {@link fetchRawBlock}). */
export interface RawBlockRequest {
  /** The origin's base URL, e.g. `https://trustless-gateway.link` (no trailing slash). */
  origin: string
  /** The block's CID: a leaf's CID for a chunk, an interior node's (or the root's) for the manifest. */
  cid: CID
  /** Most bytes the block may have; a longer answer is cut off and counts as misbehaviour. */
  maxBytes: number
  /** Milliseconds for the whole request, redirects and body included. */
  timeout: number
  signal?: AbortSignal
  fetch?: FetchFunction
}

/**
 * Fetches one block from a trustless gateway as `{origin}/ipfs/{cid}?format=raw` with
 * `Accept: application/vnd.ipld.raw`, and returns its bytes, unverified: the caller hashes them
 * against the CID. Bounded in every way a hostile or broken origin could push: redirects are
 * followed by hand, at most {@link MAX_REDIRECTS} and only to http(s); a declared or actual body
 * longer than `maxBytes` is cut off; the whole exchange has `timeout` milliseconds.
 *
 * Rejects with {@link OriginHttpError} for an HTTP error status (the body is discarded; `Retry-After`
 * is read for 429 and 503), {@link OriginUnreachableError} for network failures, timeouts and
 * redirect trouble, {@link OriginMisbehaviorError} for an answer that cannot be the block (an HTML
 * page, too many bytes, fewer bytes than declared), and AbortError when `signal` fires.
 *
 * @example
 * ```ts
 * const bytes = await fetchRawBlock({ origin: 'http://127.0.0.1:8080', cid, maxBytes: 262_144 + 1024, timeout: 15_000 })
 * if (!await verifier.verify(cid, bytes)) throw new Error('the origin lied')
 * ```
 */
export async function fetchRawBlock (request: RawBlockRequest): Promise<Uint8Array> {
  const { signal } = request
  const aborted = (): boolean => signal?.aborted === true
  if (aborted()) throw abortError(signal as AbortSignal, 'origin request')
  const doFetch = request.fetch ?? (globalThis.fetch as FetchFunction | undefined)
  if (doFetch === undefined) throw new OriginUnreachableError('No fetch function: this runtime has no global fetch; pass one in the origin options')
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, request.timeout)
  const onAbort = (): void => { controller.abort() }
  signal?.addEventListener('abort', onAbort, { once: true })
  let url = `${request.origin}/ipfs/${request.cid.toString()}?format=raw`
  try {
    for (let hop = 0; ; hop++) {
      const response = await doFetch(url, {
        method: 'GET',
        headers: { Accept: RAW_BLOCK_TYPE },
        redirect: 'manual',
        signal: controller.signal
      })
      if ((response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
        await discard(response)
        url = redirectTarget(url, response, hop)
        continue
      }
      if (response.status !== 200) {
        await discard(response)
        throw httpError(url, response)
      }
      return await readBody(response, url, request.maxBytes)
    }
  } catch (err) {
    if (aborted()) throw abortError(signal as AbortSignal, 'origin request')
    if (timedOut) throw new OriginUnreachableError(`${request.origin} did not deliver ${request.cid.toString()} within ${request.timeout} ms`, { cause: err })
    if (err instanceof OriginHttpError || err instanceof OriginMisbehaviorError || err instanceof OriginUnreachableError) throw err
    throw new OriginUnreachableError(`${request.origin} could not be reached: ${describe(err)}`, { cause: err })
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/** The URL a redirect points to, if it may be followed. */
function redirectTarget (from: string, response: Response, hop: number): string {
  if (response.type === 'opaqueredirect') throw new OriginUnreachableError(`${from} redirects, and redirects cannot be followed here; name the final URL as the origin`)
  if (hop + 1 > MAX_REDIRECTS) throw new OriginUnreachableError(`${from} redirected more than ${MAX_REDIRECTS} times (a redirect loop?)`)
  const location = response.headers.get('location')
  if (location === null || location === '') throw new OriginUnreachableError(`${from} answered ${response.status} without a Location`)
  let target: URL
  try {
    target = new URL(location, from)
  } catch {
    throw new OriginUnreachableError(`${from} redirected to a malformed URL`)
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new OriginUnreachableError(`${from} redirected to ${target.protocol} URL, which is not followed`)
  if (target.username !== '' || target.password !== '') throw new OriginUnreachableError(`${from} redirected to a URL with credentials, which is not followed`)
  return target.href
}

function httpError (url: string, response: Response): OriginHttpError {
  let retryAfter: number | undefined
  if (response.status === 429 || response.status === 503) {
    const value = response.headers.get('retry-after')
    const seconds = value !== null && /^\d{1,6}$/.test(value.trim()) ? Number(value.trim()) : undefined
    if (seconds !== undefined) retryAfter = Math.min(seconds * 1000, MAX_RETRY_AFTER)
  }
  const text = response.status === 404 || response.status === 410 ? 'does not have it' : response.statusText !== '' ? response.statusText : 'error'
  return new OriginHttpError(`${url} answered ${response.status} (${text})`, response.status, retryAfter)
}

/** Reads a 200 answer's body, at most `maxBytes` of it. */
async function readBody (response: Response, url: string, maxBytes: number): Promise<Uint8Array> {
  const type = response.headers.get('content-type') ?? ''
  if (/^\s*text\/html/i.test(type)) {
    await discard(response)
    throw new OriginMisbehaviorError(`${url} answered an HTML page instead of a raw block`)
  }
  const encoded = (response.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity'
  const declaredText = encoded ? null : response.headers.get('content-length')
  const declared = declaredText !== null && /^\d{1,15}$/.test(declaredText) ? Number(declaredText) : undefined
  if (declared !== undefined && declared > maxBytes) {
    await discard(response)
    throw new OriginMisbehaviorError(`${url} declared ${declared} bytes for a block of at most ${maxBytes}`)
  }
  const body = response.body
  if (body === null) return new Uint8Array(0)
  const out = new Uint8Array(declared ?? maxBytes)
  let length = 0
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (length + value.length > out.length) {
        throw new OriginMisbehaviorError(declared !== undefined
          ? `${url} sent more than the ${declared} bytes it declared`
          : `${url} sent more than ${maxBytes} bytes for one block`)
      }
      out.set(value, length)
      length += value.length
    }
  } catch (err) {
    await reader.cancel().catch(() => {})
    throw err
  } finally {
    reader.releaseLock()
  }
  if (declared !== undefined && length !== declared) throw new OriginMisbehaviorError(`${url} sent ${length} bytes after declaring ${declared}`)
  return length === out.length ? out : out.subarray(0, length)
}

/** Lets go of a body nobody reads, so the connection can be reused or closed. */
async function discard (response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {})
}

function describe (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : ''
  return `${err.message}${cause}`
}
