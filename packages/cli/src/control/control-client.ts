import { request } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { CommandError, UsageError } from '../errors.js'
import type { ControlRecord } from './control-file.js'

/** Largest JSON answer read from the control endpoint. */
const MAX_ANSWER = 1024 * 1024

/** How an added content is chunked and addressed. */
export interface AddSettings {
  chunkSize: number
  cidVersion: 0 | 1
  /** The verifier (hash) name, as `--verifier` takes it. */
  verifier: string
}

/** A content streamed by the running node. */
export interface RemoteContent {
  /** The content's size in bytes. */
  size: number
  /** Its bytes in order; ends with an error if the node failed or went away part-way. */
  body: AsyncIterable<Uint8Array>
}

function unreachable (running: ControlRecord, err: unknown): CommandError {
  return new CommandError(`cannot reach the running \`codio-chunk serve\` (pid ${running.pid}) at ${running.url}: ${(err as Error).message}`, { cause: err })
}

async function readAnswer (res: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = []
  let length = 0
  for await (const part of res as AsyncIterable<Buffer>) {
    length += part.length
    if (length > MAX_ANSWER) throw new CommandError('the running node sent an answer larger than 1 MiB')
    parts.push(part)
  }
  const text = Buffer.concat(parts).toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    throw new CommandError(`the running node sent an answer that is not JSON (status ${res.statusCode ?? '?'})`)
  }
}

/** The error a non-2xx answer stands for: 400 a usage error (as the same mistake run locally), else a command error. */
async function answerError (res: IncomingMessage): Promise<Error> {
  const body = await readAnswer(res).catch((err: Error) => err)
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message
  const text = typeof message === 'string' ? message : `status ${res.statusCode ?? '?'}`
  return res.statusCode === 400 ? new UsageError(text) : new CommandError(text)
}

/**
 * A client of the control endpoint of the `serve` running on a data dir (see
 * `startControlServer`). Each call is one request carrying the data dir's token.
 *
 * @example
 * ```ts
 * const running = await runningServe(dataDir)
 * if (running !== undefined) {
 *   const { body } = await new ControlClient(running).content(cid, [], { signal })
 *   for await (const bytes of body) process.stdout.write(bytes)
 * }
 * ```
 */
export class ControlClient {
  constructor (readonly running: ControlRecord) {}

  private async send (method: string, path: string, signal: AbortSignal, body?: Readable): Promise<IncomingMessage> {
    const url = new URL(path, this.running.url)
    return await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(url, { method, signal, headers: { Authorization: `Bearer ${this.running.token}` } }, resolve)
      req.on('error', (err) => { reject(signal.aborted ? signal.reason : unreachable(this.running, err)) })
      if (body === undefined) {
        req.end()
        return
      }
      body.on('error', (err) => { req.destroy(err) })
      body.pipe(req)
    })
  }

  /** Streams a content through the running node, which fetches it from `peers` (and its discoveries and origins) as needed. */
  async content (cid: string, peers: readonly string[], options: { signal: AbortSignal }): Promise<RemoteContent> {
    const query = peers.map(p => `peer=${encodeURIComponent(p)}`).join('&')
    const res = await this.send('GET', `/v1/content/${cid}${query === '' ? '' : `?${query}`}`, options.signal)
    if (res.statusCode !== 200) throw await answerError(res)
    const size = Number(res.headers['x-content-size'] ?? 0)
    const running = this.running
    async function * body (): AsyncGenerator<Uint8Array> {
      try {
        for await (const part of res as AsyncIterable<Buffer>) yield new Uint8Array(part.buffer, part.byteOffset, part.length)
      } catch (err) {
        if (options.signal.aborted) throw options.signal.reason
        throw new CommandError(`the running \`codio-chunk serve\` (pid ${running.pid}) stopped sending ${cid}: ${(err as Error).message}`, { cause: err })
      } finally {
        res.destroy()
      }
      const failed = res.trailers['x-error']
      if (typeof failed === 'string') throw new CommandError(decodeURIComponent(failed))
      if (res.trailers['x-done'] !== '1') throw new CommandError(`the running \`codio-chunk serve\` (pid ${running.pid}) stopped sending ${cid} part-way`)
    }
    return { size, body: body() }
  }

  /**
   * Stores `body` as a content in the running node, chunked and addressed as `how` says (the
   * running node refuses a verifier other than its own); resolves with its CID, size and chunk count.
   */
  async add (body: Readable, how: AddSettings, options: { signal: AbortSignal }): Promise<{ cid: string, size: number, chunks: number }> {
    const query = new URLSearchParams({ chunkSize: String(how.chunkSize), cidVersion: String(how.cidVersion), verifier: how.verifier })
    const res = await this.send('POST', `/v1/add?${query.toString()}`, options.signal, body)
    if (res.statusCode !== 200) throw await answerError(res)
    return await readAnswer(res) as { cid: string, size: number, chunks: number }
  }

  /** Removes a content from the running node; a CommandError if it holds none of it. */
  async remove (cid: string, options: { signal: AbortSignal }): Promise<void> {
    const res = await this.send('DELETE', `/v1/content/${cid}`, options.signal)
    if (res.statusCode !== 200) throw await answerError(res)
    await readAnswer(res)
  }
}
