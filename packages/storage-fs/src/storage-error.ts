import { CodioChunkError, StorageError } from '@codio-chunk/interface'

const ADVICE: Record<string, string> = {
  ENOSPC: 'the disk is full: free space or give fsStorage a directory on another disk',
  EDQUOT: 'the disk quota is exhausted: free space or give fsStorage a directory on another disk',
  EACCES: 'permission denied: make the directory readable and writable by this process, or choose another dir',
  EPERM: 'operation not permitted: make the directory readable and writable by this process, or choose another dir',
  EROFS: 'the file system is read-only: give fsStorage a writable directory',
  EMFILE: 'too many open files: raise the limit (ulimit -n) or lower maxOpenFiles',
  ENFILE: 'the system is out of file handles: close other programs or lower maxOpenFiles',
  ENOENT: 'a file is missing: the content may have been deleted; add it again',
  EIO: 'the disk reported an I/O error: check the disk'
}

/**
 * Wraps a file-system failure in a `StorageError` whose message names the path, what was being
 * done and what to do about it; the original error is chained as `cause`. Codio errors pass through.
 */
export function storageError (err: unknown, action: string, path: string): Error {
  if (err instanceof CodioChunkError) return err
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const advice = code !== undefined ? ADVICE[code] : undefined
  const detail = advice ?? (err instanceof Error ? err.message : String(err))
  return new StorageError(`Could not ${action} ${path}${code !== undefined ? ` (${code})` : ''}: ${detail}`, { cause: err })
}

/** Runs a file-system operation, turning its failure into {@link storageError}. */
export async function fsCall<T> (action: string, path: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (err) {
    throw storageError(err, action, path)
  }
}

/** The error code of a Node.js system error, if it is one. */
export function errorCode (err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code
}
