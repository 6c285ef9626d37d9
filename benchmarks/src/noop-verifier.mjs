// A test double for the swarm benchmark: a "verifier" that does not hash, to show how fast a
// download is when verification costs nothing. It lives in the benchmarks only and never ships.
//
// The engine only accepts a chunk whose digest matches its CID, so a no-op must still answer with
// the right digests. It learns them in an untimed download of the same content (hashing with
// node:crypto), keyed by a cheap fingerprint of each block (its length and first 32 bytes, unique
// for random content), and in the timed download only looks them up. A block it has not seen is
// hashed for real and counted in `misses`. `digestTable` / `tableVerifier` do the same from a
// table written ahead of time (the compare scenario builds it from the seeders' storage).
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { ChunkConfig, ChunkDistributor, memoryStorage } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'

const sha256 = (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest())
export const fingerprint = (bytes) => `${bytes.length}:${Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(32, bytes.length)).toString('latin1')}`

function lookupVerifier (table, stats) {
  const digest = (bytes) => {
    const known = table.get(fingerprint(bytes))
    if (known !== undefined) return known.slice()
    stats.misses++
    stats.missedBytes = (stats.missedBytes ?? 0) + bytes.length
    return sha256(bytes)
  }
  return {
    name: 'sha2-256',
    code: 0x12,
    digestLength: 32,
    digest,
    async digestMany (inputs) { return inputs.map(digest) }
  }
}

function recordingVerifier (table) {
  const digest = (bytes) => {
    const out = sha256(bytes)
    table.set(fingerprint(bytes), out)
    return out.slice()
  }
  return { name: 'sha2-256', code: 0x12, digestLength: 32, digest, async digestMany (inputs) { return inputs.map(digest) } }
}

/**
 * Downloads `cid` once from `addresses` (untimed) to learn its blocks' digests, then returns the
 * no-op verifier for the timed run; `verifier.stats.misses` counts blocks it had to hash anyway.
 */
export async function noopVerifierFor (cid, addresses) {
  const table = new Map()
  const learner = await ChunkDistributor.create(ChunkConfig.default(), { transports: [tcpTransport()], verifier: recordingVerifier(table), storage: memoryStorage() })
  try {
    await learner.download(cid, addresses)
  } finally {
    await learner.stop()
  }
  const stats = { misses: 0, missedBytes: 0 }
  return Object.assign(lookupVerifier(table, stats), { stats })
}

/**
 * Writes to `file` the digest of every leaf block of `cid` in `storage` (JSON: fingerprint → hex),
 * for {@link tableVerifier} in another process.
 */
export async function writeDigestTable (storage, cid, file) {
  const manifest = await storage.getManifest(cid)
  const table = {}
  for (let i = 0; i < manifest.chunkCount; i++) {
    const block = await storage.getChunk(cid, i)
    table[fingerprint(block)] = createHash('sha256').update(block).digest('hex')
  }
  writeFileSync(file, JSON.stringify(table))
}

/**
 * The no-op verifier over a table written by {@link writeDigestTable}. The table holds leaf blocks
 * only: the few interior DAG nodes a download fetches with the manifest are hashed for real
 * (`stats.misses`, `stats.missedBytes`).
 */
export function tableVerifier (file) {
  const table = new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8'))).map(([k, hex]) => [k, new Uint8Array(Buffer.from(hex, 'hex'))]))
  const stats = { misses: 0, missedBytes: 0 }
  return Object.assign(lookupVerifier(table, stats), { stats })
}
