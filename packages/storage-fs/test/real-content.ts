import { buildManifest } from '@codio-chunk/content'
import { testBytes } from '@codio-chunk/interface-tests/storage'
import type { TestContent } from '@codio-chunk/interface-tests/storage'

/**
 * A deterministic content of `size` bytes in `chunkSize`-byte chunks (1 KiB at least) with its
 * real UnixFS manifest, as `ipfs add` lays it out: storage-fs checks a stored manifest against its
 * content id when it opens a content, so contents that are reopened must be real ones.
 */
export async function realContent (size: number, chunkSize: number, seed = 1, cidVersion: 0 | 1 = 1): Promise<TestContent> {
  return await contentOf(testBytes(size, seed), chunkSize, cidVersion)
}

/** `bytes` as a content of `chunkSize`-byte chunks with its real UnixFS manifest. */
export async function contentOf (bytes: Uint8Array, chunkSize: number, cidVersion: 0 | 1 = 1): Promise<TestContent> {
  const manifest = await buildManifest(bytes, { chunkSize, cidVersion })
  const chunks: Uint8Array[] = []
  for (let i = 0; i < manifest.chunkCount; i++) {
    chunks.push(bytes.subarray(manifest.chunkOffset(i), manifest.chunkOffset(i) + manifest.chunkLength(i)))
  }
  return { bytes, chunks, manifest }
}
