import type { OutputStream } from './io.js'
import { StdoutClosedError } from './errors.js'

/** Resolves when `stream` drains; rejects with the signal's reason if it aborts first. */
export async function drained (stream: OutputStream, signal: AbortSignal): Promise<void> {
  if (stream.once === undefined) return
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }
    const onAbort = (): void => {
      stream.removeListener?.('drain', onDrain)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    stream.once?.('drain', onDrain)
  })
}

/**
 * Writes every part to `stream` in order, waiting for it to drain when it is full (a slow reader
 * holds the download back instead of the CLI buffering content). Resolves with the bytes written;
 * rejects with the signal's reason when it aborts (Ctrl-C, or stdout closed).
 *
 * @example
 * ```ts
 * const bytes = await writeParts(node.streamContent(cid, { signal }), process.stdout, signal)
 * ```
 */
export async function writeParts (parts: AsyncIterable<Uint8Array>, stream: OutputStream, signal: AbortSignal): Promise<number> {
  let bytes = 0
  for await (const part of parts) {
    signal.throwIfAborted()
    bytes += part.length
    if (!stream.write(part)) await drained(stream, signal)
  }
  return bytes
}

/** What {@link watchStdout} reports. */
export interface StdoutWatch {
  /** Why stdout failed, once it has (EPIPE: the reader closed it). */
  readonly failure: Error | undefined
  /** True when stdout failed because its reader went away (`| head`): the command ends quietly. */
  readonly closedByReader: boolean
  /** Stops watching. */
  dispose(): void
}

/** Error codes that mean the reader of stdout went away. */
const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END', 'ECONNRESET'])

/**
 * Watches stdout for write errors: the first one aborts `controller` with a `StdoutClosedError`
 * (the command stops and cleans up: lock released, node stopped) instead of becoming an uncaught
 * exception with a stack trace.
 */
export function watchStdout (stream: OutputStream, controller: AbortController): StdoutWatch {
  let failure: Error | undefined
  const onError = (err: Error): void => {
    if (failure !== undefined) return
    failure = err
    controller.abort(new StdoutClosedError({ cause: err }))
  }
  stream.on?.('error', onError)
  return {
    get failure () { return failure },
    get closedByReader () {
      const code = (failure as NodeJS.ErrnoException | undefined)?.code
      return code !== undefined && READER_GONE.has(code)
    },
    dispose: () => { stream.removeListener?.('error', onError) }
  }
}
