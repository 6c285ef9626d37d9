import { createReadStream, createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { InvalidAddressError, InvalidContentIdError, NoProvidersError, NotFoundError, toContentId } from '@codio-chunk/core'
import type { ChunkDistributor, ContentId } from '@codio-chunk/core'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { drained } from '../stdout.js'

/** Providers one request may name at most. */
export const MAX_CONTROL_PEERS = 256
/** Largest request head accepted (request line with its providers, and headers). */
const MAX_HEADER_SIZE = 64 * 1024
/** Connections at once (a few local commands). */
const MAX_CONNECTIONS = 64

/** A running control endpoint (see {@link startControlServer}). */
export interface ControlServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** Stops it: requests under way are cut off. */
  close(): Promise<void>
}

/** A failed control request: its status and a message for the command that sent it. */
class ControlRequestError extends Error {
  constructor (readonly status: number, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ControlRequestError'
  }
}

/** The status an error of the node means for a control request. */
function statusOf (err: unknown): number {
  if (err instanceof ControlRequestError) return err.status
  if (err instanceof InvalidContentIdError || err instanceof InvalidAddressError || err instanceof RangeError) return 400
  if (err instanceof NotFoundError || err instanceof NoProvidersError) return 404
  return 500
}

function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body) + '\n'
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

function sendError (res: ServerResponse, err: unknown, headers: Record<string, string> = {}): void {
  const status = statusOf(err)
  const name = err instanceof Error ? err.name : 'Error'
  const message = status === 500 && !(err instanceof Error) ? String(err) : (err as Error).message
  if (res.headersSent) {
    res.destroy(err instanceof Error ? err : undefined)
    return
  }
  sendJson(res, status, { error: { name, message: message.split('\n')[0] } }, headers)
}

function contentIdOf (text: string): ContentId {
  try {
    return toContentId(decodeURIComponent(text))
  } catch (err) {
    throw new ControlRequestError(400, `not a CID: ${text.slice(0, 100)}`, { cause: err })
  }
}

function peersOf (url: URL): string[] {
  for (const key of url.searchParams.keys()) {
    if (key !== 'peer') throw new ControlRequestError(400, `unknown query parameter ${JSON.stringify(key.slice(0, 40))}; this endpoint takes peer=<address> (repeatable)`)
  }
  const peers = url.searchParams.getAll('peer')
  if (peers.length > MAX_CONTROL_PEERS) throw new ControlRequestError(400, `at most ${MAX_CONTROL_PEERS} peer parameters, got ${peers.length}`)
  return peers
}

/** True if the request carries the token (compared in constant time). */
function authorized (req: IncomingMessage, token: Buffer): boolean {
  const match = /^Bearer ([0-9a-f]{64})$/.exec(req.headers.authorization ?? '')
  if (match === null) return false
  return timingSafeEqual(Buffer.from(match[1], 'hex'), token)
}

/** What the control endpoint needs. */
export interface ControlServerInit {
  node: ChunkDistributor
  /** The token requests must carry (`Authorization: Bearer <token>`, 64 hex digits). */
  token: string
  /** Where an added content's bytes are kept while the node imports them (the data dir). */
  spoolDir: string
  /** The node's verifier name (`--verifier`): an add asking for another one is refused. */
  verifier: string
}

/** The chunk size and CID version `POST /v1/add` asks for, checked. */
function addSettings (url: URL, verifier: string): { chunkSize?: number, cidVersion?: 0 | 1 } {
  const out: { chunkSize?: number, cidVersion?: 0 | 1 } = {}
  for (const [key, value] of url.searchParams) {
    if (key === 'chunkSize') {
      const size = Number(value)
      if (!/^\d{1,8}$/.test(value) || size < 1024 || size > 4 * 1024 * 1024) throw new ControlRequestError(400, `chunkSize must be a byte count from 1024 to 4194304, got ${JSON.stringify(value.slice(0, 40))}`)
      out.chunkSize = size
    } else if (key === 'cidVersion') {
      if (value !== '0' && value !== '1') throw new ControlRequestError(400, `cidVersion must be 0 or 1, got ${JSON.stringify(value.slice(0, 40))}`)
      out.cidVersion = Number(value) as 0 | 1
    } else if (key === 'verifier') {
      // sha256 and sha256-wasm compute the same hash.
      if (value.replace(/-wasm$/, '') !== verifier.replace(/-wasm$/, '')) throw new ControlRequestError(400, `the running serve hashes added content with ${verifier}, not ${value.slice(0, 40)}: add with --verifier ${verifier}, or stop it first`)
    } else {
      throw new ControlRequestError(400, `unknown query parameter ${JSON.stringify(key.slice(0, 40))}; /v1/add takes chunkSize, cidVersion and verifier`)
    }
  }
  return out
}

/**
 * The local control endpoint of `codio-chunk serve`: an HTTP server on 127.0.0.1 (a free port)
 * through which `get`, `cat`, `add` and `rm` on the same data dir use the running node instead of
 * being refused its lock. Every request must carry the token (kept in the data dir's control
 * file, readable only by its owner); others get 401. It answers:
 *
 * - `GET /v1/content/<cid>[?peer=<address>…]`: the content, streamed in order as the node fetches
 *   and verifies it (chunked; a failure after the first byte is the `X-Error` trailer, its
 *   success the `X-Done: 1` trailer);
 * - `POST /v1/add[?chunkSize=<bytes>&cidVersion=<0|1>&verifier=<name>]`: stores the request body
 *   as a content; answers `{ cid, size, chunks }`;
 * - `DELETE /v1/content/<cid>`: removes a content; 404 if the node holds none of it.
 *
 * Errors are JSON `{ error: { name, message } }` with 400 (bad CID, address or query), 401, 404,
 * 405 (with `Allow`) or 500.
 *
 * @example
 * ```ts
 * const control = await startControlServer({ node, token: newControlToken(), spoolDir: dataDir, verifier: 'sha256' })
 * // curl -H "Authorization: Bearer $TOKEN" "$URL/v1/content/bafkrei…" > out.bin
 * await control.close()
 * ```
 */
export async function startControlServer (init: ControlServerInit): Promise<ControlServer> {
  const { node, spoolDir } = init
  const token = Buffer.from(init.token, 'hex')
  const running = new Set<AbortController>()

  const streamContent = async (req: IncomingMessage, res: ServerResponse, cid: ContentId, peers: string[], signal: AbortSignal): Promise<void> => {
    const parts = node.streamContent(cid, { providers: peers, signal })
    // The first piece (or the end) decides the status: a CID nobody has is a 404, not a cut-off body.
    const first = await parts.next()
    const manifest = await node.storage.getManifest(cid, { signal })
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'X-Content-Size': String(manifest?.totalSize ?? 0),
      Trailer: 'X-Done, X-Error'
    })
    try {
      if (first.done !== true) {
        if (!res.write(first.value)) await drained(res, signal)
        for await (const part of parts) {
          if (!res.write(part)) await drained(res, signal)
        }
      }
      res.addTrailers({ 'X-Done': '1' })
    } catch (err) {
      if (signal.aborted) throw err
      res.addTrailers({ 'X-Error': encodeURIComponent((err as Error).message.split('\n')[0].slice(0, 1000)) })
    } finally {
      await parts.return(undefined)
    }
    res.end()
  }

  const add = async (req: IncomingMessage, res: ServerResponse, how: { chunkSize?: number, cidVersion?: 0 | 1 }, signal: AbortSignal): Promise<void> => {
    // The importer reads its input twice (to hash, then to store): keep the body in a file.
    const spooled = join(spoolDir, `add-${randomBytes(8).toString('hex')}.tmp`)
    try {
      await pipeline(req, createWriteStream(spooled, { mode: 0o600 }), { signal })
      const cid = await node.importContent(() => createReadStream(spooled), { ...how, signal })
      const manifest = await node.storage.getManifest(cid, { signal })
      sendJson(res, 200, { cid: cid.toString(), size: manifest?.totalSize ?? 0, chunks: manifest?.chunkCount ?? 0 })
    } finally {
      await rm(spooled, { force: true })
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> => {
    if (!authorized(req, token)) throw new ControlRequestError(401, 'this endpoint takes requests with the token in the data dir\'s control.json only')
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = req.method ?? 'GET'
    if (url.pathname === '/v1/add') {
      if (method !== 'POST') return sendError(res, new ControlRequestError(405, `${url.pathname} takes POST`), { Allow: 'POST' })
      return await add(req, res, addSettings(url, init.verifier), signal)
    }
    const content = /^\/v1\/content\/([^/]+)$/.exec(url.pathname)
    if (content === null) throw new ControlRequestError(404, `no such endpoint ${JSON.stringify(url.pathname.slice(0, 100))}: use /v1/content/<cid> or /v1/add`)
    const cid = contentIdOf(content[1])
    if (method === 'GET') return await streamContent(req, res, cid, peersOf(url), signal)
    if (method === 'DELETE') {
      if (url.searchParams.size > 0) throw new ControlRequestError(400, 'DELETE takes no query parameters')
      if (!await node.removeContent(cid, { signal })) throw new ControlRequestError(404, `${cid.toString()} is not in the store (see codio-chunk ls)`)
      return sendJson(res, 200, { removed: cid.toString() })
    }
    sendError(res, new ControlRequestError(405, `${url.pathname} takes GET or DELETE`), { Allow: 'GET, DELETE' })
  }

  const server = createServer({ maxHeaderSize: MAX_HEADER_SIZE, headersTimeout: 10_000, requestTimeout: 0 }, (req, res) => {
    const controller = new AbortController()
    running.add(controller)
    // The client went away (or the server closes): stop what its request started.
    res.on('close', () => { controller.abort(new Error('the control client went away')) })
    handle(req, res, controller.signal)
      .catch((err: unknown) => { sendError(res, err) })
      .finally(() => { running.delete(controller) })
  })
  server.maxConnections = MAX_CONNECTIONS
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    else socket.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const controller of running) controller.abort(new Error('the node is stopping'))
      const closed = new Promise<void>(resolve => { server.close(() => { resolve() }) })
      server.closeAllConnections()
      await closed
    }
  }
}
