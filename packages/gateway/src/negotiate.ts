import { BadRequestError, NotAcceptableError } from './errors.js'

export const RAW_TYPE = 'application/vnd.ipld.raw'
export const CAR_TYPE = 'application/vnd.ipld.car'

/** How much of the DAG a CAR holds (`dag-scope`). */
export type DagScope = 'all' | 'entity' | 'block'

/** A CAR answer's parameters. Only CARv1 in depth-first order is written. */
export interface CarParams {
  /** `dups=y` repeats a block each time it occurs; `n` sends it once. Default `n`. */
  readonly dups: 'y' | 'n'
  readonly scope: DagScope
  /** `entity-bytes` as asked (`from:to`), resolved against the size later. */
  readonly entityBytes?: string
}

/** What a request asks the gateway to answer with. */
export type ResponseFormat =
  /** The file's bytes (deserialized). */
  | { readonly kind: 'file' }
  /** One raw block. */
  | { readonly kind: 'raw' }
  /** A CAR of the DAG. */
  | { readonly kind: 'car', readonly car: CarParams }

/** The format and whether it came from `Accept` alone (the answer then says `Content-Location`). */
export interface Negotiated {
  readonly format: ResponseFormat
  readonly fromAccept: boolean
}

/** Formats of the path gateway spec this gateway does not produce (asked for by name: 400). */
const UNSUPPORTED_FORMATS = new Set(['tar', 'dag-json', 'dag-cbor', 'json', 'cbor', 'ipns-record'])

/**
 * The response format of an `/ipfs/` request: the `format` query parameter if present (it wins
 * over `Accept`, as the spec says), else the best of `application/vnd.ipld.raw` and
 * `application/vnd.ipld.car` in `Accept` by quality, else the file itself. CAR parameters come
 * from the `car-*` query parameters or the `Accept` media type's `version`, `order` and `dups`
 * (only version 1 and order `dfs`, or `unk`, which gets `dfs`), and `dag-scope`/`entity-bytes`.
 * Throws BadRequestError for an unknown or unsupported `format`, or bad CAR parameters in the
 * query; NotAcceptableError when `Accept` asks for CARs only in variants not produced here.
 *
 * @example
 * ```ts
 * negotiate(new URLSearchParams('format=car&dag-scope=block'), undefined).format
 * // { kind: 'car', car: { dups: 'n', scope: 'block', entityBytes: undefined } }
 * negotiate(new URLSearchParams(), 'application/vnd.ipld.raw').format // { kind: 'raw' }
 * ```
 */
export function negotiate (query: URLSearchParams, accept: string | undefined): Negotiated {
  const format = query.get('format')
  if (format !== null) {
    if (format === 'raw') return { format: { kind: 'raw' }, fromAccept: false }
    if (format === 'car') return { format: { kind: 'car', car: carParams(query, undefined) }, fromAccept: false }
    if (UNSUPPORTED_FORMATS.has(format)) throw new BadRequestError(`format=${format} is not supported by this gateway: use format=raw, format=car or no format for the file itself`)
    throw new BadRequestError(`Unknown format "${format.slice(0, 40)}": use format=raw, format=car or no format for the file itself`)
  }
  const wanted = parseAccept(accept)
  let refused: string | undefined
  for (const type of wanted) {
    if (type.name === RAW_TYPE) return { format: { kind: 'raw' }, fromAccept: true }
    if (type.name === CAR_TYPE) {
      const problem = carTypeProblem(type.params)
      if (problem === undefined) return { format: { kind: 'car', car: carParams(query, type.params) }, fromAccept: true }
      refused = problem
    }
  }
  if (refused !== undefined && !wanted.some(t => t.name === '*/*' || !t.name.startsWith('application/vnd.ipld.'))) {
    throw new NotAcceptableError(`${refused}; this gateway writes CARv1 with order=dfs and dups=y or n`)
  }
  return { format: { kind: 'file' }, fromAccept: false }
}

/** Why an `Accept`-ed CAR variant cannot be produced here, or undefined if it can. */
function carTypeProblem (params: Map<string, string>): string | undefined {
  const version = params.get('version')
  if (version !== undefined && version !== '1') return `CAR version ${version} was asked for`
  const order = params.get('order')
  if (order !== undefined && order !== 'dfs' && order !== 'unk') return `CAR order ${order} was asked for`
  const dups = params.get('dups')
  if (dups !== undefined && dups !== 'y' && dups !== 'n') return `CAR dups=${dups} was asked for`
  return undefined
}

/** CAR parameters from the query (which wins) and the accepted media type's parameters. */
function carParams (query: URLSearchParams, accepted: Map<string, string> | undefined): CarParams {
  const version = query.get('car-version') ?? accepted?.get('version')
  if (version !== undefined && version !== null && version !== '1') throw new BadRequestError(`car-version=${version.slice(0, 20)} is not supported: this gateway writes CARv1`)
  const order = query.get('car-order') ?? accepted?.get('order')
  if (order !== undefined && order !== null && order !== 'dfs' && order !== 'unk') throw new BadRequestError(`car-order=${order.slice(0, 20)} is not supported: this gateway writes blocks in dfs order`)
  const dups = query.get('car-dups') ?? accepted?.get('dups') ?? 'n'
  if (dups !== 'y' && dups !== 'n') throw new BadRequestError(`car-dups must be y or n, got ${dups.slice(0, 20)}`)
  const entityBytes = query.get('entity-bytes') ?? undefined
  const scope = query.get('dag-scope') ?? (entityBytes !== undefined ? 'entity' : 'all')
  if (scope !== 'all' && scope !== 'entity' && scope !== 'block') throw new BadRequestError(`dag-scope must be all, entity or block, got ${scope.slice(0, 20)}`)
  return { dups, scope, entityBytes }
}

/** One media range of an `Accept` header. */
interface MediaRange {
  name: string
  params: Map<string, string>
  q: number
}

/** Most media ranges of an `Accept` header read. */
const MAX_ACCEPT_RANGES = 32

/** The media ranges of an `Accept` header with q > 0, best first (stable for equal q). */
export function parseAccept (accept: string | undefined): MediaRange[] {
  if (accept === undefined || accept.length > 4096) return []
  const out: MediaRange[] = []
  for (const part of accept.split(',').slice(0, MAX_ACCEPT_RANGES)) {
    const [name, ...rest] = part.split(';').map(s => s.trim())
    if (name === undefined || name === '') continue
    const params = new Map<string, string>()
    let q = 1
    for (const param of rest) {
      const eq = param.indexOf('=')
      if (eq === -1) continue
      const key = param.slice(0, eq).trim().toLowerCase()
      const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1')
      if (key === 'q') q = Number.isFinite(Number(value)) ? Number(value) : 0
      else params.set(key, value)
    }
    if (q > 0) out.push({ name: name.toLowerCase(), params, q })
  }
  return out.sort((a, b) => b.q - a.q)
}
