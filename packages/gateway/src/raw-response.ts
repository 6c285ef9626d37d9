import { leafBlock } from '@codio-chunk/content'
import { ContentId } from '@codio-chunk/interface'
import { blockOf } from './block-locator.js'
import { RangeNotSatisfiableError } from './errors.js'
import { header, onlyIfCached } from './file-response.js'
import { IMMUTABLE, baseHeaders, contentDisposition, ifNoneMatch } from './headers.js'
import { RAW_TYPE } from './negotiate.js'
import { ifRangeAllows, parseRange } from './range.js'
import { Retrieval } from './retrieval.js'
import type { OutgoingHttpHeaders } from 'node:http'
import type { CID } from 'multiformats/cid'
import type { Manifest } from '@codio-chunk/interface'
import type { GatewayContext } from './retrieval.js'
import type { RequestScope } from './request-scope.js'

/** The identity multihash code: the "hash" is the data itself. */
export const IDENTITY_CODE = 0x00

/**
 * Answers `?format=raw` (or `Accept: application/vnd.ipld.raw`): the one block whose hash is the
 * CID, as the trustless gateway spec asks, with `ETag: "<cid>.raw"`, `Content-Disposition:
 * attachment; filename="<cid>.bin"` and single `Range` requests. Which blocks are found:
 * - an identity CID (such as the `bafkqaaa` probe): its digest, without any fetch;
 * - any block of a content whose manifest the node stores (root, interior node, or leaf, the leaf
 *   fetched from the swarm through that content's download if the node lacks it);
 * - otherwise the CID is taken for a content root and its manifest fetched from providers: its
 *   root block is answered. A block that is neither (a leaf or interior node of a content the node
 *   has never seen) cannot be asked of peers, whose wire protocol names blocks within a content:
 *   that is a 404.
 *
 * @example
 * ```ts
 * await serveRaw(ctx, scope, cid, '/ipfs/bafk…', query, false)
 * ```
 */
export async function serveRaw (ctx: GatewayContext, scope: RequestScope, cid: CID, path: string, query: URLSearchParams, fromAccept: boolean): Promise<void> {
  const { req, res } = scope
  const etag = `"${cid.toString()}.raw"`
  const headers: OutgoingHttpHeaders = {
    ...baseHeaders(path),
    ETag: etag,
    'Cache-Control': IMMUTABLE,
    'Content-Type': RAW_TYPE,
    'Content-Disposition': contentDisposition(query.get('filename') ?? `${cid.toString()}.bin`, true),
    'X-Ipfs-Roots': cid.toString()
  }
  if (fromAccept) headers['Content-Location'] = `${path}?format=raw`
  if (ifNoneMatch(req, etag)) {
    res.writeHead(304, headers).end()
    return
  }
  const block = cid.multihash.code === IDENTITY_CODE ? cid.multihash.digest : await findBlock(ctx, scope, cid)
  const range = ifRangeAllows(header(req.headers['if-range']), etag) ? parseRange(header(req.headers.range), block.length) : { kind: 'none' as const }
  if (range.kind === 'unsatisfiable') {
    throw new RangeNotSatisfiableError(`No range overlaps the block (${block.length} bytes)`, { headers: { 'Content-Range': `bytes */${block.length}` } })
  }
  const body = range.kind === 'partial' ? block.subarray(range.start, range.end + 1) : block
  headers['Accept-Ranges'] = 'bytes'
  headers['Content-Length'] = body.length
  if (range.kind === 'partial') headers['Content-Range'] = `bytes ${range.start}-${range.end}/${block.length}`
  res.writeHead(range.kind === 'partial' ? 206 : 200, headers)
  res.end(scope.head ? undefined : body)
}

/** The block `cid` names, from the stored manifests or as a content root (see {@link serveRaw}). */
async function findBlock (ctx: GatewayContext, scope: RequestScope, cid: CID): Promise<Uint8Array> {
  const place = await ctx.locator.find(cid)
  const root = place?.root ?? ContentId.fromCid(cid)
  const retrieval = await Retrieval.open(ctx, root, scope.signal, { onlyIfCached: onlyIfCached(scope) })
  try {
    const manifest = await retrieval.manifest()
    const chunk = async (index: number): Promise<Uint8Array> => await readChunk(retrieval, manifest, index)
    if (place !== undefined) {
      const block = await blockOf(manifest, cid, place.index, chunk)
      if (block !== undefined) return block
    }
    return manifest.getBlock(root.cid) ?? leafBlock(manifest, 0, await chunk(0))
  } finally {
    retrieval.close()
  }
}

/** Chunk `index` of a content, from storage or the swarm. */
async function readChunk (retrieval: Retrieval, manifest: Manifest, index: number): Promise<Uint8Array> {
  const length = manifest.chunkLength(index)
  if (length === 0) return new Uint8Array(0)
  const offset = manifest.chunkOffset(index)
  return await retrieval.read(offset, offset + length - 1)
}
