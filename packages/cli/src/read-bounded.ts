import { open } from 'node:fs/promises'

/**
 * Reads at most `limit + 1` bytes of a file, so a wrong path to a huge file (or to a device such
 * as /dev/zero) costs a bounded read, not the whole file: a result longer than `limit` means the
 * file is larger.
 *
 * @example
 * ```ts
 * const bytes = await readBounded('peers.txt', 1024 * 1024)
 * if (bytes.length > 1024 * 1024) throw new Error('peers.txt is larger than 1 MiB')
 * ```
 */
export async function readBounded (path: string, limit: number): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.allocUnsafe(limit + 1)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
    }
    return buffer.subarray(0, length)
  } finally {
    await handle.close()
  }
}
