import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { StorageError } from '@codio-chunk/core'

/** Writes all of `bytes` at `position`, looping over short writes. */
export async function writeFully (handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done)
    done += bytesWritten
  }
}

/**
 * Fills `target` from `position`, looping over short reads. Rejects with `StorageError` naming
 * `path` if the file ends first.
 */
export async function readFully (handle: FileHandle, target: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0
  while (done < target.byteLength) {
    const { bytesRead } = await handle.read(target, done, target.byteLength - done, position + done)
    if (bytesRead === 0) {
      throw new StorageError(`${path} ends at byte ${position + done}, before the ${target.byteLength} bytes expected at ${position}: the file was truncated outside codio-chunk; delete the content and add it again`)
    }
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
