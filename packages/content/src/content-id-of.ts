import { buildManifest } from './build-manifest.js'
import type { BuildManifestOptions } from './build-manifest.js'
import type { ContentId } from '@codio-chunk/interface'

/** Options of {@link computeContentId}. */
export type ComputeContentIdOptions = Pick<BuildManifestOptions, 'chunkSize' | 'cidVersion' | 'verifier' | 'signal'>

/**
 * Computes the content id of `bytes` exactly as `ipfs add` does (see `buildManifest` for the
 * options: 256 KiB chunks and CIDv1 with raw leaves by default, `cidVersion: 0` for `Qm…`).
 *
 * @example
 * ```ts
 * import { ContentId } from '@codio-chunk/interface'
 * import { computeContentId } from '@codio-chunk/content'
 * const id = await computeContentId(new TextEncoder().encode('hello world\n'), { cidVersion: 0 })
 * id.equals(ContentId.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')) // true
 * ```
 */
export async function computeContentId (bytes: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options?: ComputeContentIdOptions): Promise<ContentId> {
  const manifest = await buildManifest(bytes, options)
  return manifest.root
}
