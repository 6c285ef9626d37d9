import { createHash } from 'node:crypto'
import type { ContentId } from '@codio-chunk/interface'

/**
 * The 20-byte DHT key (info hash) a content is announced under: SHA-1 of its CID's multihash.
 * The multihash names the bytes, not how the CID wraps them, so the CIDv0 (`Qm…`) and CIDv1
 * (`bafy…`) of the same DAG meet at the same key.
 *
 * @example
 * ```ts
 * import { ContentId } from '@codio-chunk/interface'
 * import { contentKey } from '@codio-chunk/discovery-dht'
 * const v0 = ContentId.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
 * const v1 = ContentId.fromCid(v0.cid.toV1()) // bafybei…, the same DAG
 * Buffer.from(contentKey(v0)).equals(contentKey(v1)) // true
 * ```
 */
export function contentKey (cid: ContentId): Uint8Array {
  return sha1(cid.cid.multihash.bytes)
}

/** SHA-1 of `bytes` (20 bytes). */
export function sha1 (bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(bytes).digest())
}
