import { walkDag } from '@codio-chunk/content'
import { ContentId } from '@codio-chunk/interface'
import { carBytes, dagBlocks, rootStep } from './car-body.js'
import { BadRequestError } from './errors.js'
import { onlyIfCached } from './file-response.js'
import { IMMUTABLE, baseHeaders, contentDisposition, ifNoneMatch } from './headers.js'
import { CAR_TYPE } from './negotiate.js'
import { IDENTITY_CODE } from './raw-response.js'
import { Retrieval } from './retrieval.js'
import { sendBody } from './send.js'
import type { OutgoingHttpHeaders } from 'node:http'
import type { CID } from 'multiformats/cid'
import type { DagStep } from '@codio-chunk/content'
import type { Manifest } from '@codio-chunk/interface'
import type { CarParams } from './negotiate.js'
import type { GatewayContext } from './retrieval.js'
import type { RequestScope } from './request-scope.js'

/**
 * Answers `?format=car` (or `Accept: application/vnd.ipld.car`): a CARv1 of the content's DAG in
 * depth-first order, as the trustless gateway spec describes, with `Content-Type:
 * application/vnd.ipld.car; version=1; order=dfs; dups=n|y`. `dag-scope=all` and `entity` send
 * every block of the file (for a file they are the same), `block` only the root; `entity-bytes=
 * from:to` only the blocks needed to verify those bytes (negative offsets count from the end, `*`
 * is the end; a range starting past the end is a 400, an empty one sends the root alone). The
 * output is deterministic for given parameters, so the `ETag` is strong and names them:
 * `"<cid>.car.<scope>[.<from>-<to>].dups-<y|n>"`. Leaves stream from the swarm as they verify; a
 * retrieval that fails mid-way cuts the CAR off (clients verify completeness). An identity CID
 * (the `bafkqaaa` probe) gets a CAR with that root and no blocks.
 *
 * @example
 * ```ts
 * await serveCar(ctx, scope, cid, '/ipfs/bafy…', { dups: 'n', scope: 'all' }, query, false)
 * ```
 */
export async function serveCar (ctx: GatewayContext, scope: RequestScope, cid: CID, path: string, car: CarParams, query: URLSearchParams, fromAccept: boolean): Promise<void> {
  const { req, res } = scope
  const tag = `${car.scope}${car.entityBytes !== undefined ? `.${car.entityBytes.replace(':', '-')}` : ''}.dups-${car.dups}`
  const etag = `"${cid.toString()}.car.${tag}"`
  const headers: OutgoingHttpHeaders = {
    ...baseHeaders(path),
    ETag: etag,
    'Cache-Control': IMMUTABLE,
    'Content-Type': `${CAR_TYPE}; version=1; order=dfs; dups=${car.dups}`,
    'Content-Disposition': contentDisposition(query.get('filename') ?? `${cid.toString()}.car`, true),
    'Accept-Ranges': 'none',
    'X-Ipfs-Roots': cid.toString()
  }
  if (fromAccept) headers['Content-Location'] = `${path}?format=car&dag-scope=${car.scope}${car.entityBytes !== undefined ? `&entity-bytes=${encodeURIComponent(car.entityBytes)}` : ''}&car-dups=${car.dups}`
  if (car.entityBytes !== undefined) parseEntityBytes(car.entityBytes) // syntax errors are 400 before anything is fetched
  if (ifNoneMatch(req, etag)) {
    res.writeHead(304, headers).end()
    return
  }
  if (cid.multihash.code === IDENTITY_CODE) {
    // An identity block is never written into a CAR: the header alone.
    res.writeHead(200, headers)
    if (scope.head) { res.end(); return }
    await sendBody(res, carBytes([cid], (async function * () {})(), new AbortController()), { sendTimeout: ctx.options.sendTimeout })
    return
  }
  const root = ContentId.fromCid(cid)
  const retrieval = await Retrieval.open(ctx, root, scope.signal, { onlyIfCached: onlyIfCached(scope) })
  try {
    const manifest = await retrieval.manifest()
    const steps = stepsFor(manifest, car)
    res.writeHead(200, headers)
    if (scope.head) { res.end(); return }
    const stop = new AbortController()
    const blocks = dagBlocks({
      manifest,
      steps,
      read: (start, end) => retrieval.stream(start, end),
      dups: car.dups,
      signal: AbortSignal.any([retrieval.signal, stop.signal])
    })
    await sendBody(res, carBytes([cid], blocks, stop), {
      sendTimeout: ctx.options.sendTimeout,
      waiting: (waiting) => { if (waiting) retrieval.timer.pause(); else retrieval.timer.resume() }
    })
  } finally {
    retrieval.close()
  }
}

/** The DAG steps a CAR request asks for. */
function stepsFor (manifest: Manifest, car: CarParams): Iterable<DagStep> {
  if (car.scope === 'block') return rootStep(manifest)
  if (car.entityBytes === undefined) return walkDag(manifest)
  const range = entityRange(car.entityBytes, manifest.totalSize)
  return range === undefined ? rootStep(manifest) : walkDag(manifest, { range })
}

/** `from:to` of `entity-bytes`, parsed; BadRequestError for anything else. */
function parseEntityBytes (spec: string): { from: number, to: number | '*' } {
  const match = /^(-?\d{1,15}):(-?\d{1,15}|\*)$/.exec(spec)
  if (match === null) throw new BadRequestError(`entity-bytes must be from:to with integers (negative from the end) or * for the end, got ${spec.slice(0, 40)}`)
  return { from: Number(match[1]), to: match[2] === '*' ? '*' : Number(match[2]) }
}

/**
 * The bytes `entity-bytes` names within a content of `size` bytes (inclusive), undefined when the
 * range is empty (the root alone is sent). BadRequestError when it starts past the end.
 *
 * @example
 * ```ts
 * entityRange('0:*', 1000)      // { start: 0, end: 999 }
 * entityRange('-100:*', 1000)   // { start: 900, end: 999 }
 * entityRange('499:-500', 1000) // { start: 499, end: 500 }
 * ```
 */
export function entityRange (spec: string, size: number): { start: number, end: number } | undefined {
  const { from, to } = parseEntityBytes(spec)
  if (size === 0) return undefined
  const start = from < 0 ? Math.max(0, size + from) : from
  if (start >= size) throw new BadRequestError(`entity-bytes=${spec} starts past the end of the content (${size} bytes)`)
  const end = Math.min(to === '*' ? size - 1 : to < 0 ? size + to : to, size - 1)
  return end < start ? undefined : { start, end }
}
