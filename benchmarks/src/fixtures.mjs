// Test content on disk for the benchmarks: a random file (hashed as it is written), a scratch
// folder removed at exit, and the file imported into a codio-chunk fs storage for seeders.
import { createHash, randomFillSync } from 'node:crypto'
import { createReadStream, mkdtempSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChunkConfig, ChunkDistributor } from '@codio-chunk/core'
import { fsStorage } from '@codio-chunk/storage-fs'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'

/**
 * A scratch folder under the system temp folder, removed when the process exits (also on
 * Ctrl-C). `BENCH_TMP` picks another parent (e.g. a faster disk).
 */
export function scratchDir (prefix = 'codio-bench-') {
  const dir = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), prefix))
  const remove = () => { rmSync(dir, { recursive: true, force: true }) }
  process.once('exit', remove)
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => { remove(); process.exit(130) })
  return dir
}

/** Writes `size` random bytes to `path` in 4 MiB blocks; resolves with their SHA-256 (hex). */
export async function writeRandomFile (path, size) {
  const block = new Uint8Array(4 * 1024 * 1024)
  const hash = createHash('sha256')
  const file = await open(path, 'w')
  try {
    for (let written = 0; written < size;) {
      const n = Math.min(block.length, size - written)
      const part = randomFillSync(block.subarray(0, n))
      hash.update(part)
      await file.write(part, 0, n)
      written += n
    }
  } finally {
    await file.close()
  }
  return hash.digest('hex')
}

/** The SHA-256 (hex) of a file, streamed. */
export async function sha256File (path) {
  const hash = createHash('sha256')
  for await (const part of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(part)
  return hash.digest('hex')
}

/**
 * Imports `file` into a codio-chunk fs storage at `dir` (what a seeder would publish with
 * `codio-chunk add`); resolves with the content id string.
 */
export async function importIntoFsStorage (file, dir, chunkSize) {
  const config = ChunkConfig.builder().chunkSize(chunkSize).build()
  const node = await ChunkDistributor.create(config, { transports: [tcpTransport()], verifier: sha256Verifier(), storage: fsStorage({ dir, fsync: 'never' }) })
  try {
    const cid = await node.importContent(() => createReadStream(file, { highWaterMark: chunkSize }))
    return cid.toString()
  } finally {
    await node.stop()
  }
}
