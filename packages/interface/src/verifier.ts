import type { AbortOptions } from './common.js'

/**
 * A hash function named by its multihash code. Shaped after multiformats' hasher (`name`, `code`,
 * `digest`) and adapted to it by `toMultihashHasher()`, so one verifier both builds content ids and
 * checks chunks.
 *
 * @example
 * ```ts
 * import { sha256Verifier } from '@codio-chunk/verifier-sha256'
 * const verifier = sha256Verifier()
 * const digest = await verifier.digest(new TextEncoder().encode('hello world\n'))
 * const [a, b] = await verifier.digestMany([chunkA, chunkB])
 * ```
 */
export interface Verifier {
  /** Multihash name, e.g. `sha2-256`. */
  readonly name: string
  /** Multihash code, e.g. `0x12` for SHA-256. */
  readonly code: number
  /** Digest length in bytes (32 for SHA-256). */
  readonly digestLength: number
  /** The raw digest of `bytes` (not multihash-prefixed). */
  digest(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>
  /** Digests of several inputs at once, in order. Batch and SIMD kernels make this faster than a loop. */
  digestMany(inputs: readonly Uint8Array[], options?: AbortOptions): Promise<Uint8Array[]>
  /** Releases worker threads or other resources. */
  close?(): Promise<void>
}
