import { SNIFF_BYTES, sniffContentType, typeFromFilename } from './content-type.js'
import { RangeNotSatisfiableError } from './errors.js'
import { IMMUTABLE, baseHeaders, contentDisposition, ifNoneMatch } from './headers.js'
import { ifRangeAllows, parseRange } from './range.js'
import { Retrieval } from './retrieval.js'
import { sendBody } from './send.js'
import type { OutgoingHttpHeaders } from 'node:http'
import type { ContentId } from '@codio-chunk/interface'
import type { GatewayContext } from './retrieval.js'
import type { RequestScope } from './request-scope.js'

/**
 * Answers `GET`/`HEAD /ipfs/{cid}` with the file itself, as a path gateway does: `ETag: "<cid>"`
 * and 304 for a matching `If-None-Match` (before anything is fetched), the immutable
 * `Cache-Control`, `Content-Length`, `Accept-Ranges: bytes` and single `Range` requests (206 with
 * `Content-Range`, 416 when unsatisfiable), `Content-Type` from `?filename=`'s extension or else
 * sniffed from the first bytes, `Content-Disposition` for `?filename=`/`?download=true`. The body
 * streams from the swarm as chunks verify; the first piece is read before the headers are sent
 * (a 504 can still be answered), later trouble cuts the response off. `HEAD` fetches only the
 * manifest and the bytes sniffing needs.
 *
 * @example
 * ```ts
 * await serveFile(ctx, scope, root, '/ipfs/bafy…', new URLSearchParams('filename=clip.mp4'))
 * ```
 */
export async function serveFile (ctx: GatewayContext, scope: RequestScope, root: ContentId, path: string, query: URLSearchParams): Promise<void> {
  const { req, res } = scope
  const etag = `"${root.toString()}"`
  const headers: OutgoingHttpHeaders = { ...baseHeaders(path), ETag: etag, 'Cache-Control': IMMUTABLE, 'X-Ipfs-Roots': root.toString() }
  const filename = query.get('filename') ?? undefined
  const download = query.get('download') === 'true'
  if (filename !== undefined || download) headers['Content-Disposition'] = contentDisposition(filename ?? `${root.toString()}`, download)
  if (ifNoneMatch(req, etag)) {
    res.writeHead(304, headers).end()
    return
  }
  const retrieval = await Retrieval.open(ctx, root, scope.signal, { onlyIfCached: onlyIfCached(scope) })
  let body: AsyncIterator<Uint8Array> | undefined
  try {
    const manifest = await retrieval.manifest()
    const size = manifest.totalSize
    const range = ifRangeAllows(header(req.headers['if-range']), etag) ? parseRange(header(req.headers.range), size) : { kind: 'none' as const }
    if (range.kind === 'unsatisfiable') {
      throw new RangeNotSatisfiableError(`No range of "${String(req.headers.range).slice(0, 100)}" overlaps the content (${size} bytes)`, { headers: { 'Content-Range': `bytes */${size}` } })
    }
    const start = range.kind === 'partial' ? range.start : 0
    const end = range.kind === 'partial' ? range.end : size - 1
    let first: Uint8Array | undefined
    let type = filename !== undefined ? typeFromFilename(filename) : undefined
    if (type === undefined) {
      if (size === 0) {
        type = sniffContentType(new Uint8Array(0))
      } else if (!scope.head && start === 0) {
        // The body's first piece is read anyway: sniff it.
        body = retrieval.stream(start, end)[Symbol.asyncIterator]()
        const next = await body.next()
        first = next.done === true ? undefined : next.value
        type = sniffContentType(first ?? new Uint8Array(0))
      } else {
        type = sniffContentType(await retrieval.read(0, Math.min(SNIFF_BYTES, size) - 1))
      }
    }
    headers['Content-Type'] = type
    headers['Accept-Ranges'] = 'bytes'
    headers['Content-Length'] = size === 0 ? 0 : end - start + 1
    if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end}/${size}`
    res.writeHead(range.kind === 'partial' ? 206 : 200, headers)
    if (scope.head || size === 0) {
      res.end()
      return
    }
    const rest = body ?? retrieval.stream(start, end)[Symbol.asyncIterator]()
    body = rest
    await sendBody(res, prepend(first, rest), {
      sendTimeout: ctx.options.sendTimeout,
      waiting: (waiting) => { if (waiting) retrieval.timer.pause(); else retrieval.timer.resume() }
    })
  } finally {
    retrieval.close()
    // A body not read to its end is closed once its pending read has seen the abort.
    body?.return?.(undefined).catch(() => {})
  }
}

/** `first` (if any), then the rest of `iterator`; closing it closes the iterator. */
async function * prepend (first: Uint8Array | undefined, iterator: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (first !== undefined) yield first
  yield * { [Symbol.asyncIterator]: () => iterator }
}

/** True for `Cache-Control: only-if-cached`. */
export function onlyIfCached (scope: RequestScope): boolean {
  return /(^|,)\s*only-if-cached\s*(,|$)/i.test(scope.req.headers['cache-control'] ?? '')
}

/** A header that may have been sent several times, as its first value. */
export function header (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
