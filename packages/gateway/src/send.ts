import { ClientGoneError, SendTimeoutError } from './errors.js'
import type { ServerResponse } from 'node:http'

/** What {@link sendBody} needs besides the body. */
export interface SendOptions {
  /** Longest wait for the client to take more (the socket to drain). */
  sendTimeout: number
  /** Called when a wait for the client starts and ends (the retrieval timer pauses meanwhile). */
  waiting?: (waiting: boolean) => void
  /** Called after each piece was handed to the socket. */
  sent?: (bytes: number) => void
}

/**
 * Writes every piece of `body` to `res` and ends it, pulling the next piece only once the socket
 * took the last one: when `res.write` returns false it waits for `drain`, so a slow client slows
 * the source down and nothing piles up in memory. Rejects with {@link SendTimeoutError} when the
 * client takes nothing for `sendTimeout` ms, and with {@link ClientGoneError} when the
 * connection closes first; either way the source is closed (its `return()` runs, releasing what
 * it holds) and the caller destroys the response.
 *
 * @example
 * ```ts
 * await sendBody(res, node.streamContent(cid), { sendTimeout: 60_000 })
 * ```
 */
export async function sendBody (res: ServerResponse, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: SendOptions): Promise<void> {
  for await (const piece of body) {
    if (res.destroyed || res.writableEnded) throw new ClientGoneError()
    if (piece.length === 0) continue
    const more = res.write(piece)
    options.sent?.(piece.length)
    if (!more) await drained(res, options)
  }
  if (res.destroyed) throw new ClientGoneError()
  await new Promise<void>((resolve) => {
    res.once('finish', resolve)
    res.once('close', resolve)
    res.end()
  })
}

/** Resolves on `drain`; rejects on close or after `sendTimeout`. */
async function drained (res: ServerResponse, options: SendOptions): Promise<void> {
  options.waiting?.(true)
  try {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer)
        res.off('drain', onDrain)
        res.off('close', onClose)
        if (err === undefined) resolve()
        else reject(err)
      }
      const onDrain = (): void => { done() }
      const onClose = (): void => { done(new ClientGoneError()) }
      const timer = setTimeout(() => { done(new SendTimeoutError(`The client took nothing for ${options.sendTimeout} ms`)) }, options.sendTimeout)
      res.on('drain', onDrain)
      res.on('close', onClose)
    })
  } finally {
    options.waiting?.(false)
  }
}
