import { ContentId } from '@codio-chunk/interface'
import { BlockLocator } from './block-locator.js'
import { serveCar } from './car-response.js'
import { toHttpError } from './error-status.js'
import { ClientGoneError, MethodNotAllowedError, SendTimeoutError } from './errors.js'
import { FetchSlots } from './fetch-slots.js'
import { serveFile } from './file-response.js'
import { errorHeaders } from './headers.js'
import { negotiate } from './negotiate.js'
import { resolveGatewayOptions } from './options.js'
import { serveRaw } from './raw-response.js'
import { parseTarget } from './request-target.js'
import { serveProviders } from './routing.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ChunkDistributor } from '@codio-chunk/engine'
import type { GatewayOptions } from './options.js'
import type { GatewayContext } from './retrieval.js'
import type { RequestScope } from './request-scope.js'

/** A `node:http` request listener that answers gateway requests, with a way to end the ones running. */
export interface GatewayHandler {
  (req: IncomingMessage, res: ServerResponse): void
  /** Requests being answered now. */
  readonly active: number
  /** Aborts every request being answered (their responses are cut off) and refuses new ones with 503. */
  abortAll(): void
}

/**
 * The gateway as a `node:http` request listener, for a server of your own (TLS, HTTP/2 in
 * compatibility mode, or beside other routes); {@link createGateway} wraps it in a server with
 * the connection limits set. It never throws and never leaves a request hanging: every failure is
 * answered with its status (see `toHttpError`) while the headers are not sent yet, else the
 * response is cut off; every request's work stops when its client goes away.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { gatewayHandler } from '@codio-chunk/gateway'
 * const handler = gatewayHandler(node, { retrievalTimeout: 10_000 })
 * createServer((req, res) => {
 *   if (req.url?.startsWith('/health') === true) { res.end('ok'); return }
 *   handler(req, res)
 * }).listen(8080)
 * ```
 */
export function gatewayHandler (node: ChunkDistributor, options: GatewayOptions = {}): GatewayHandler {
  const resolved = resolveGatewayOptions(options)
  const log = node.components.logger('codio-chunk:gateway')
  const locator = new BlockLocator(node.storage, log)
  const ctx: GatewayContext = { node, options: resolved, log, slots: new FetchSlots(resolved.maxContentFetches), locator }
  const running = new Set<AbortController>()
  let closing = false

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const controller = new AbortController()
    running.add(controller)
    const onClose = (): void => { if (!res.writableFinished) controller.abort(new ClientGoneError()) }
    res.once('close', onClose)
    const scope: RequestScope = { req, res, head: req.method === 'HEAD', signal: controller.signal }
    answer(ctx, scope, closing).catch((err: unknown) => { fail(ctx, scope, err) }).finally(() => {
      running.delete(controller)
      res.off('close', onClose)
    })
  }
  // defineProperties, not Object.assign: `active` must stay a live getter.
  return Object.defineProperties(handle, {
    active: { get: () => running.size, enumerable: true },
    abortAll: {
      value: () => {
        closing = true
        for (const controller of running) controller.abort(new ClientGoneError('The gateway is closing'))
      }
    }
  }) as GatewayHandler
}

/** Routes one request. */
async function answer (ctx: GatewayContext, scope: RequestScope, closing: boolean): Promise<void> {
  const { req, res } = scope
  if (closing) {
    const body = 'The gateway is closing\n'
    res.writeHead(503, { ...errorHeaders(body), Connection: 'close' }).end(body)
    return
  }
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      Allow: 'GET, HEAD, OPTIONS',
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type, Range, User-Agent, X-Requested-With, Accept, If-None-Match, Cache-Control',
      'Access-Control-Max-Age': '86400'
    }).end()
    return
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new MethodNotAllowedError(`${String(req.method).slice(0, 20)} is not allowed: this gateway is read-only (GET, HEAD, OPTIONS)`, { headers: { Allow: 'GET, HEAD, OPTIONS' } })
  }
  const { route, query } = parseTarget(req.url)
  if (route.kind === 'providers') {
    await serveProviders(ctx, scope, route.cid)
    return
  }
  const { format, fromAccept } = negotiate(query, req.headers.accept)
  if (format.kind === 'raw') {
    await serveRaw(ctx, scope, route.cid, route.path, query, fromAccept)
    return
  }
  if (format.kind === 'car') {
    await serveCar(ctx, scope, route.cid, route.path, format.car, query, fromAccept)
    return
  }
  if (route.cid.multihash.code === 0x00 && route.cid.code === 0x55) {
    // An identity raw block (the bafkqaaa probe): its bytes are in the CID.
    const bytes = route.cid.multihash.digest
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': bytes.length, 'Cache-Control': 'public, max-age=29030400, immutable', 'X-Content-Type-Options': 'nosniff', ETag: `"${route.cid.toString()}"` })
    res.end(scope.head ? undefined : bytes)
    return
  }
  await serveFile(ctx, scope, ContentId.fromCid(route.cid), route.path, query)
}

/** Answers a failed request with its status, or cuts off a response already under way. */
function fail (ctx: GatewayContext, scope: RequestScope, err: unknown): void {
  const { req, res } = scope
  if (err instanceof ClientGoneError || scope.signal.reason instanceof ClientGoneError) {
    if (!res.destroyed) res.destroy()
    return
  }
  if (err instanceof SendTimeoutError) {
    ctx.log('%s %s: %s; closing the connection', req.method, String(req.url).slice(0, 200), err.message)
    res.destroy()
    return
  }
  const http = toHttpError(err)
  if (http.status >= 500) ctx.log.error('%s %s: %d %s', req.method, String(req.url).slice(0, 200), http.status, describe(err))
  else ctx.log('%s %s: %d %s', req.method, String(req.url).slice(0, 200), http.status, http.message)
  if (res.headersSent) {
    // Too late for a status: cut the response off so the client cannot take it for complete.
    res.destroy()
    return
  }
  const body = http.status >= 500 && http.status !== 503 && http.status !== 504 && http.status !== 501 && http.status !== 502 ? 'Internal error\n' : `${http.message}\n`
  res.writeHead(http.status, errorHeaders(body, http.retryAfter, http.headers))
  res.end(scope.head ? undefined : body)
}

function describe (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : ''
  return `${err.name}: ${err.message}${cause}`
}
