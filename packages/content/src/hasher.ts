import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { InvalidConfigError, SHA2_256_CODE, UnsupportedHashError } from '@codio-chunk/interface'
import type { Verifier } from '@codio-chunk/interface'
import type { CID } from 'multiformats/cid'
import type { MultihashDigest, MultihashHasher } from 'multiformats/hashes/interface'

/**
 * The hasher used when no verifier is configured: multiformats' SHA-256 (native `node:crypto`).
 *
 * @example
 * ```ts
 * import { defaultHasher } from '@codio-chunk/core'
 * const digest = await defaultHasher.digest(new TextEncoder().encode('hello'))
 * digest.code // 0x12
 * ```
 */
export const defaultHasher: MultihashHasher<typeof SHA2_256_CODE> = sha256

/**
 * Adapts a {@link Verifier} to a multiformats `MultihashHasher`, so the same hash function that
 * checks chunks also builds content ids and CIDs.
 *
 * @example
 * ```ts
 * import { toMultihashHasher } from '@codio-chunk/core'
 * import { CID } from 'multiformats/cid'
 * import { sha256Verifier } from '@codio-chunk/verifier-sha256'
 * const hasher = toMultihashHasher(sha256Verifier())
 * const cid = CID.createV1(0x55, await hasher.digest(new TextEncoder().encode('hello world\n')))
 * ```
 */
export function toMultihashHasher (verifier: Verifier): MultihashHasher {
  const wrap = (raw: Uint8Array): MultihashDigest => createDigest(verifier.code, checkDigestLength(verifier, raw))
  return {
    name: verifier.name,
    code: verifier.code,
    digest (input: Uint8Array): MultihashDigest | Promise<MultihashDigest> {
      const out = verifier.digest(input)
      return out instanceof Uint8Array ? wrap(out) : Promise.resolve(out).then(wrap)
    },
    encode (input: Uint8Array): Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>> {
      const out = verifier.digest(input)
      const copy = (raw: Uint8Array): Uint8Array<ArrayBuffer> => Uint8Array.from(checkDigestLength(verifier, raw))
      return out instanceof Uint8Array ? copy(out) : Promise.resolve(out).then(copy)
    }
  }
}

/**
 * Checks that `bytes` hash to `cid`'s multihash. The hash is computed by `verifier` when its code is
 * the CID's hash code; with no verifier, SHA-256 CIDs are checked with {@link defaultHasher}.
 * Anything else (another algorithm, the identity hash) throws `UnsupportedHashError`.
 *
 * @example
 * ```ts
 * import { verifyBlock, ContentId } from '@codio-chunk/core'
 * const cid = ContentId.parse('bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4').cid
 * await verifyBlock(cid, new TextEncoder().encode('hello world\n')) // true
 * ```
 */
export async function verifyBlock (cid: CID, bytes: Uint8Array, verifier?: Verifier): Promise<boolean> {
  const code = cid.multihash.code
  let digest: Uint8Array
  if (verifier !== undefined && verifier.code === code) {
    digest = await verifier.digest(bytes)
  } else if (verifier === undefined && code === SHA2_256_CODE) {
    digest = (await defaultHasher.digest(bytes)).digest
  } else {
    const configured = verifier === undefined ? 'no verifier is configured' : `the verifier is ${verifier.name} (0x${verifier.code.toString(16)})`
    throw new UnsupportedHashError(`Cannot verify ${cid.toString()}: its multihash code is 0x${code.toString(16)} and ${configured}; configure a verifier for that hash (sha2-256 or blake3)`)
  }
  return digestEquals(digest, cid.multihash.digest)
}

/**
 * Compares two digests. The loop always runs over the whole digest (no early exit on the first
 * difference), so the time taken does not reveal where two digests differ.
 *
 * @example
 * ```ts
 * import { digestEquals } from '@codio-chunk/core'
 * digestEquals(new Uint8Array([1, 2]), new Uint8Array([1, 2])) // true
 * ```
 */
export function digestEquals (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i]
  return diff === 0
}

/**
 * Returns `raw` if it has the verifier's declared digest length, else throws InvalidConfigError
 * naming the faulty plugin.
 *
 * @example
 * ```ts
 * import { checkDigestLength } from '@codio-chunk/core'
 * checkDigestLength(verifier, await verifier.digest(bytes))
 * ```
 */
export function checkDigestLength (verifier: Verifier, raw: Uint8Array): Uint8Array {
  if (raw.length !== verifier.digestLength) {
    throw new InvalidConfigError(`Verifier ${verifier.name} returned a ${raw.length}-byte digest but declares digestLength ${verifier.digestLength}; fix the verifier plugin`)
  }
  return raw
}
