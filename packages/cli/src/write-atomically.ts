import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { CommandError } from './errors.js'

function writeError (err: unknown, path: string): CommandError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOSPC') return new CommandError(`cannot write ${path}: the disk is full; free some space and run the command again (downloaded chunks are kept)`, { cause: err })
  if (code === 'EACCES' || code === 'EPERM') return new CommandError(`cannot write ${path}: permission denied; choose another -o path`, { cause: err })
  if (code === 'ENOENT') return new CommandError(`cannot write ${path}: its directory does not exist`, { cause: err })
  if (code === 'EISDIR') return new CommandError(`cannot write ${path}: it is a directory`, { cause: err })
  if (code === 'ENOTDIR') return new CommandError(`cannot write ${path}: a part of the path is a file, not a directory`, { cause: err })
  return new CommandError(`cannot write ${path}: ${(err as Error).message}`, { cause: err })
}

/** Runs a file system step; its failure becomes a CommandError about `path`. */
async function fileStep<T> (path: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (err) {
    throw writeError(err, path)
  }
}

/**
 * Writes a stream of bytes to `path` so that `path` never holds a partial file: the bytes go to a
 * temporary file beside it, which is flushed to disk and then renamed over `path`. On any failure
 * the temporary file is removed and `path` is untouched. File system failures are
 * `CommandError`s that say what to do; an error of the source and an abort of `signal` are
 * passed on as they are.
 *
 * @example
 * ```ts
 * await writeAtomically('./out.bin', [new Uint8Array([1, 2, 3])])
 * ```
 */
export async function writeAtomically (path: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: { signal?: AbortSignal } = {}): Promise<number> {
  options.signal?.throwIfAborted()
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.partial`)
  const file = await fileStep(path, async () => await open(temporary, 'wx', 0o644))
  let closed = false
  let written = 0
  let renamed = false
  try {
    for await (const part of source) {
      options.signal?.throwIfAborted()
      let offset = 0
      while (offset < part.length) {
        const { bytesWritten } = await fileStep(path, async () => await file.write(part, offset, part.length - offset))
        offset += bytesWritten
      }
      written += part.length
    }
    await fileStep(path, async () => { await file.sync() })
    closed = true
    await fileStep(path, async () => { await file.close() })
    // An abort while the last part was written (or with nothing to write) leaves `path` as it was.
    options.signal?.throwIfAborted()
    await fileStep(path, async () => { await rename(temporary, path) })
    renamed = true
    return written
  } finally {
    if (!closed) await file.close().catch(() => {})
    if (!renamed) await rm(temporary, { force: true }).catch(() => {})
  }
}
