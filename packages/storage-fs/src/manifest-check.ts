import { fileLeafBlock, resolveManifest } from '@codio-chunk/content'
import { ContentMismatchError, DAG_PB_CODE, InvalidManifestError, MAX_STORED_CHUNK_LENGTH } from '@codio-chunk/interface'
import type { Manifest, ManifestBlock } from '@codio-chunk/interface'
import type { BlockHasher } from './block-hasher.js'

type CID = ManifestBlock['cid']

/**
 * Checks a manifest read back from disk against its content id, so a corrupt one is refused
 * before its chunk sizes are trusted (they lay out the data file). The interior blocks it carries
 * must hash to their CIDs, starting with the root, and resolving the DAG from the root over them
 * (`resolveManifest`, the same check a manifest fetched from peers passes) must give exactly the
 * stored chunk CIDs and sizes and use every stored block. Throws `ContentMismatchError` for a block
 * that does not hash to its CID, `InvalidManifestError` for anything else that does not add up,
 * `UnsupportedHashError` for a block of a hash the storage cannot compute while it can compute the
 * root's.
 *
 * What is not checked here: the leaves. Their bytes are the chunks, checked when each is first
 * read. So a content of one chunk (whose root is its only leaf, and which has no interior block)
 * passes once its one chunk is its root; and of CIDv0 content, whose level of leaves the DAG walk
 * recognizes by decoding the first leaf, that leaf is stood in for by an empty-data leaf of the
 * stored length. When the storage cannot compute the root's hash (a BLAKE3 content without a
 * BLAKE3 verifier), the blocks' hashes are not checked, only the DAG's structure against the
 * stored chunk list; such a storage refuses to read the chunks anyway (`UnsupportedHashError`).
 *
 * @example
 * ```ts
 * await checkStoredManifest(Manifest.fromBytes(await readFile(path)), new BlockHasher(verifiers))
 * ```
 */
export async function checkStoredManifest (manifest: Manifest, hasher: BlockHasher, signal?: AbortSignal): Promise<void> {
  const root = manifest.root.cid
  const where = `The stored manifest of ${manifest.root.toString()}`
  if (manifest.blocks.length === 0) {
    if (manifest.chunkCount !== 1 || !manifest.chunkCid(0).equals(root)) {
      throw new InvalidManifestError(`${where} carries no interior block, so its one chunk must be its root, but it lists ${manifest.chunkCount} chunks starting with ${manifest.chunkCid(0).toString()}`)
    }
    return
  }
  if (hasher.supports(root.multihash.code)) {
    const { blocks } = manifest
    const ok = await hasher.matches(blocks.map(b => b.cid), blocks.map(b => b.bytes), `the blocks of ${where.toLowerCase()}`, signal)
    const bad = ok.indexOf(false)
    if (bad !== -1) throw new ContentMismatchError(`${where} holds block ${blocks[bad].cid.toString()} whose bytes do not hash to its CID`)
  }
  const stored = new Map<string, Uint8Array>()
  for (const block of manifest.blocks) stored.set(block.cid.toString(), block.bytes)
  const firstLeaf = manifest.chunkCid(0)
  const fetchBlock = async (cid: CID): Promise<Uint8Array> => {
    const bytes = stored.get(cid.toString())
    if (bytes !== undefined) return bytes
    // The walk decodes the first dag-pb leaf to tell leaves from interior nodes; its bytes are
    // chunk 0, which may not be downloaded yet and is checked when read.
    if (cid.code === DAG_PB_CODE && cid.equals(firstLeaf)) return fileLeafBlock(new Uint8Array(manifest.chunkLength(0)))
    throw new InvalidManifestError(`${where} lacks block ${cid.toString()}, which its DAG links to`)
  }
  const { manifest: resolved } = await resolveManifest(root, fetchBlock, { fetchVerifies: true, maxChunkSize: MAX_STORED_CHUNK_LENGTH, signal })
  if (resolved.chunkCount !== manifest.chunkCount) {
    throw new InvalidManifestError(`${where} lists ${manifest.chunkCount} chunks where its DAG has ${resolved.chunkCount}`)
  }
  for (let i = 0; i < manifest.chunkCount; i++) {
    if (!resolved.chunkCid(i).equals(manifest.chunkCid(i)) || resolved.chunkLength(i) !== manifest.chunkLength(i)) {
      throw new InvalidManifestError(`${where} lists chunk ${i} as ${manifest.chunkLength(i)} bytes with CID ${manifest.chunkCid(i).toString()}, where its DAG has ${resolved.chunkLength(i)} bytes with CID ${resolved.chunkCid(i).toString()}`)
    }
  }
  if (resolved.blocks.length !== manifest.blocks.length) {
    throw new InvalidManifestError(`${where} holds ${manifest.blocks.length} blocks where its DAG has ${resolved.blocks.length}`)
  }
}
