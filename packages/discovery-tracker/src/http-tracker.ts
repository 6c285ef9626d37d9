import http from 'node:http'
import https from 'node:https'
import { abortError } from '@codio-chunk/interface'
import { TrackerError, TrackerFailureError, TrackerResponseError, TrackerTimeoutError } from './errors.js'
import { parseHttpAnnounceReply } from './http-reply.js'
import { MAX_RESPONSE_BYTES } from './options.js'
import type { AnnounceReply, AnnounceRequest, TrackerClient } from './announce.js'
import type { TrackerUrl } from './options.js'
import type { ClientRequest, IncomingMessage } from 'node:http'

/** Largest response head (status line and headers) read. */
const MAX_HEADER_BYTES = 16 * 1024
const USER_AGENT = 'codio-chunk-discovery-tracker/0.1'

/**
 * Announces to an HTTP(S) tracker (BEP 3): one GET per announce, on a connection of its own
 * (closed after the answer), asking for the compact peer list. Redirects are not followed; the
 * body is read up to {@link MAX_RESPONSE_BYTES} and the request aborted beyond it.
 */
export class HttpTrackerClient implements TrackerClient {
  readonly href: string
  private readonly inFlight = new Set<AbortController>()

  constructor (private readonly tracker: TrackerUrl, private readonly timeout: number, private readonly maxPeers: number) {
    this.href = tracker.href
  }

  async announce (request: AnnounceRequest, signal: AbortSignal): Promise<AnnounceReply> {
    const controller = new AbortController()
    const onAbort = (): void => controller.abort(signal.reason)
    if (signal.aborted) throw abortError(signal, 'tracker announce')
    signal.addEventListener('abort', onAbort, { once: true })
    this.inFlight.add(controller)
    try {
      const { status, body } = await get(this.href, announceUrl(this.tracker.url, request), controller.signal, this.timeout)
      if (status !== 200) {
        // Some trackers send their failure reason with an error status: show it if it parses.
        try {
          parseHttpAnnounceReply(this.href, body, 0)
        } catch (err) {
          if (err instanceof TrackerFailureError) throw err
        }
        throw new TrackerResponseError(this.href, `The tracker ${this.href} answered with HTTP status ${status}; check the announce URL`)
      }
      return parseHttpAnnounceReply(this.href, body, this.maxPeers)
    } finally {
      signal.removeEventListener('abort', onAbort)
      this.inFlight.delete(controller)
    }
  }

  close (): void {
    for (const controller of this.inFlight) controller.abort(new Error('The tracker discovery stopped'))
    this.inFlight.clear()
  }
}

/** The announce URL with the request's parameters appended (raw bytes percent-encoded). */
export function announceUrl (base: URL, request: AnnounceRequest): string {
  const params = [
    `info_hash=${percentEncode(request.infoHash)}`,
    `peer_id=${percentEncode(request.peerId)}`,
    `port=${request.port}`,
    'uploaded=0',
    'downloaded=0',
    `left=${request.left}`,
    'compact=1',
    'no_peer_id=1',
    `numwant=${request.numWant}`,
    `key=${request.key.toString(16).padStart(8, '0')}`
  ]
  if (request.event !== undefined) params.push(`event=${request.event}`)
  const href = base.href
  const separator = base.search === '' ? (href.endsWith('?') ? '' : '?') : '&'
  return `${href}${separator}${params.join('&')}`
}

/** Percent-encodes every byte but RFC 3986's unreserved characters. */
export function percentEncode (bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) {
    const unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) ||
      byte === 0x2d || byte === 0x2e || byte === 0x5f || byte === 0x7e
    out += unreserved ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** A GET whose answer is bounded in size and time; `signal` aborts it (rejecting with an AbortError). */
async function get (tracker: string, url: string, signal: AbortSignal, timeout: number): Promise<{ status: number, body: Uint8Array }> {
  return await new Promise((resolve, reject) => {
    let settled = false
    let req: ClientRequest | undefined
    const timer = setTimeout(() => finish(new TrackerTimeoutError(tracker, timeout)), timeout)
    const onAbort = (): void => finish(abortError(signal, 'tracker announce'))
    signal.addEventListener('abort', onAbort, { once: true })
    const finish = (err: Error | undefined, value?: { status: number, body: Uint8Array }): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      if (err === undefined) {
        resolve(value as { status: number, body: Uint8Array })
        return
      }
      req?.destroy()
      reject(err)
    }
    const tooLarge = (): TrackerResponseError =>
      new TrackerResponseError(tracker, `The tracker ${tracker} sent an answer longer than ${MAX_RESPONSE_BYTES} bytes; it was not read`)
    const onResponse = (res: IncomingMessage): void => {
      const status = res.statusCode ?? 0
      if (status >= 300 && status < 400) {
        finish(new TrackerResponseError(tracker, `The tracker ${tracker} redirects (HTTP ${status}) and redirects are not followed; use the URL it redirects to as the announce URL`))
        return
      }
      if (Number(res.headers['content-length']) > MAX_RESPONSE_BYTES) {
        finish(tooLarge())
        return
      }
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_RESPONSE_BYTES) finish(tooLarge())
        else chunks.push(chunk)
      })
      res.on('end', () => finish(undefined, { status, body: Buffer.concat(chunks, size) }))
      res.on('error', (err) => finish(new TrackerError(tracker, `The connection to the tracker ${tracker} failed while reading its answer: ${err.message}`, { cause: err })))
      res.on('close', () => {
        if (!res.complete) finish(new TrackerError(tracker, `The tracker ${tracker} closed the connection before its answer ended`))
      })
    }
    const options = { agent: false, headers: { 'user-agent': USER_AGENT, 'accept-encoding': 'identity' }, maxHeaderSize: MAX_HEADER_BYTES }
    req = url.startsWith('https:') ? https.get(url, options, onResponse) : http.get(url, options, onResponse)
    req.on('error', (err) => finish(new TrackerError(tracker, `Could not reach the tracker ${tracker}: ${err.message}`, { cause: err })))
  })
}
