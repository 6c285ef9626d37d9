import { BLAKE3_CODE, UnsupportedHashError, throwIfAborted } from '@codio-chunk/interface'
import type { AbortOptions, Verifier } from '@codio-chunk/interface'

/** The one function this package needs from `@napi-rs/blake-hash`. */
type Blake3 = (input: Uint8Array) => Uint8Array

let loading: Promise<Blake3> | undefined

/** Loads the native BLAKE3 once per process; the prebuilt binary for this platform must be installed. */
async function loadBlake3 (): Promise<Blake3> {
  loading ??= import('@napi-rs/blake-hash').then(
    (native) => native.blake3,
    (err: unknown) => {
      loading = undefined
      throw new UnsupportedHashError(`BLAKE3 is unavailable: @napi-rs/blake-hash has no prebuilt binary for ${process.platform}-${process.arch} or failed to load; reinstall it, or use a sha2-256 verifier`, { cause: err })
    }
  )
  return await loading
}

/**
 * A BLAKE3 {@link Verifier} (multihash `blake3`, code `0x1e`, 32-byte digests) on the native,
 * SIMD-accelerated BLAKE3 of `@napi-rs/blake-hash` (prebuilt binaries, no toolchain needed).
 *
 * Content published by a node whose first verifier is this one is addressed by BLAKE3: its CIDs
 * differ from the SHA-256 CIDs of the same bytes, and only nodes that also have a BLAKE3 verifier
 * can download it (others refuse it with `UnsupportedHashError`). IPFS tools that support BLAKE3
 * CIDs can check it. The native module is loaded on first use: until then `digest()` returns a
 * Promise, afterwards the digest itself. Every digest is a new buffer the caller owns.
 *
 * @example
 * ```ts
 * import { blake3Verifier } from '@codio-chunk/verifier-blake3'
 * const verifier = blake3Verifier()
 * const digest = await verifier.digest(new TextEncoder().encode('abc'))
 * Buffer.from(digest).toString('hex') // '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85'
 * const [a, b] = await verifier.digestMany([new Uint8Array(0), new Uint8Array(256 * 1024)])
 * ```
 */
export function blake3Verifier (): Verifier {
  let hash: Blake3 | undefined
  const ready = async (): Promise<Blake3> => {
    hash ??= await loadBlake3()
    return hash
  }
  const digestWith = (blake3: Blake3, bytes: Uint8Array): Uint8Array => {
    const digest = blake3(bytes)
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
  }

  return {
    name: 'blake3',
    code: BLAKE3_CODE,
    digestLength: 32,

    digest (bytes: Uint8Array): Uint8Array | Promise<Uint8Array> {
      if (hash !== undefined) return digestWith(hash, bytes)
      return ready().then(blake3 => digestWith(blake3, bytes))
    },

    async digestMany (inputs: readonly Uint8Array[], options?: AbortOptions): Promise<Uint8Array[]> {
      throwIfAborted(options?.signal, 'digest')
      if (inputs.length === 0) return []
      const blake3 = await ready()
      throwIfAborted(options?.signal, 'digest')
      return inputs.map(input => digestWith(blake3, input))
    }
  }
}
