import { read, writev } from 'node:fs'
import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { StorageError } from '@codio-chunk/interface'

/** Writes all of `bytes` at `position`, looping over short writes. */
export async function writeFully (handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done)
    done += bytesWritten
  }
}

/**
 * Writes `parts` back to back at `position` of the open file `fd` (one vectored system call when
 * it writes everything, as it does for regular files), looping over short writes. Uses the
 * callback API: one thread-pool request per call and no promise machinery per part.
 */
export async function writevFully (fd: number, parts: Uint8Array[], position: number): Promise<void> {
  let pending = parts.filter(p => p.byteLength > 0)
  let at = position
  while (pending.length > 0) {
    const written = await new Promise<number>((resolve, reject) => {
      writev(fd, pending, at, (err, bytes) => { if (err !== null) reject(err); else resolve(bytes) })
    })
    if (written <= 0) throw new StorageError(`A write at byte ${at} wrote nothing; check the disk`)
    at += written
    pending = afterBytes(pending, written)
  }
}

/** What is left of `parts` (none empty) once their first `n` bytes are written. */
function afterBytes (parts: Uint8Array[], n: number): Uint8Array[] {
  let i = 0
  while (i < parts.length && n >= parts[i].byteLength) n -= parts[i++].byteLength
  if (i === parts.length) return []
  const rest = parts.slice(i)
  if (n > 0) rest[0] = rest[0].subarray(n)
  return rest
}

/**
 * Fills `target` from `position` of the open file `fd`, looping over short reads; rejects with
 * `StorageError` naming `path` if the file ends first. The callback counterpart of
 * {@link readFully}, for the hot path.
 */
export async function readFullyAt (fd: number, target: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0
  while (done < target.byteLength) {
    const bytesRead = await new Promise<number>((resolve, reject) => {
      read(fd, target, done, target.byteLength - done, position + done, (err, n) => { if (err !== null) reject(err); else resolve(n) })
    })
    if (bytesRead === 0) throw truncated(path, position + done, target.byteLength, position)
    done += bytesRead
  }
}

function truncated (path: string, at: number, expected: number, position: number): StorageError {
  return new StorageError(`${path} ends at byte ${at}, before the ${expected} bytes expected at ${position}: the file was truncated outside codio-chunk; delete the content and add it again`)
}

/**
 * Fills `target` from `position`, looping over short reads. Rejects with `StorageError` naming
 * `path` if the file ends first.
 */
export async function readFully (handle: FileHandle, target: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0
  while (done < target.byteLength) {
    const { bytesRead } = await handle.read(target, done, target.byteLength - done, position + done)
    if (bytesRead === 0) throw truncated(path, position + done, target.byteLength, position)
    done += bytesRead
  }
}

/**
 * A buffer of `length` bytes that is not zero-filled (it is about to be overwritten by a read) and
 * owns its memory, returned as a plain Uint8Array rather than a Buffer.
 */
export function uninitialized (length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length)
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length)
}

/** Fsyncs a directory so a rename in it is durable. Platforms that cannot (Windows) are skipped. */
export async function syncDirectory (dir: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch {
    // Directory fsync is unsupported on some platforms; the rename is still atomic.
  } finally {
    await handle?.close().catch(() => {})
  }
}
