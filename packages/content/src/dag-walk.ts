import { InvalidManifestError } from '@codio-chunk/interface'
import { readNode } from './dag-node.js'
import type { Manifest } from '@codio-chunk/interface'
import type { CID } from 'multiformats/cid'

/** One block of a content's DAG, as {@link walkDag} visits it. */
export type DagStep =
  /** An interior dag-pb node: its bytes are in the manifest. */
  | { readonly kind: 'interior', readonly cid: CID, readonly bytes: Uint8Array }
  /** A leaf: chunk `index` (its bytes are the chunk's leaf block, see `leafBlock`). */
  | { readonly kind: 'leaf', readonly cid: CID, readonly index: number }

/** Options of {@link walkDag}. */
export interface WalkDagOptions {
  /**
   * Only the blocks needed to read and verify these file bytes (inclusive offsets): the root, the
   * interior nodes on the way, and the leaves holding any of the bytes. Default: every block. A
   * range outside the content leaves only the root.
   */
  range?: { start: number, end: number }
}

/**
 * The blocks of a content's DAG in depth-first order (a node, then each child's subtree in link
 * order), as a CAR with `order=dfs` lists them: leaves come in file order. Duplicate blocks (e.g.
 * identical chunks) are visited each time they occur; a caller sending `dups=n` skips repeats.
 * Reads only the manifest: interior blocks come with their bytes, leaves as chunk indices.
 * Throws InvalidManifestError if an interior block breaks the UnixFS rules.
 *
 * @example
 * ```ts
 * import { buildManifest, walkDag } from '@codio-chunk/core'
 * const manifest = await buildManifest(bytes, { chunkSize: 1024 })
 * for (const step of walkDag(manifest, { range: { start: 5000, end: 6000 } })) {
 *   console.log(step.kind, step.cid.toString(), step.kind === 'leaf' ? step.index : '')
 * }
 * ```
 */
export function * walkDag (manifest: Manifest, options: WalkDagOptions = {}): Generator<DagStep> {
  const { range } = options
  const overlaps = (offset: number, size: number): boolean =>
    range === undefined || (size > 0 && offset <= range.end && offset + size - 1 >= range.start)
  function * visit (cid: CID, offset: number, depth: number): Generator<DagStep> {
    const bytes = manifest.getBlock(cid)
    if (bytes === undefined) {
      yield { kind: 'leaf', cid, index: manifest.totalSize === 0 ? 0 : manifest.chunkAt(offset) }
      return
    }
    yield { kind: 'interior', cid, bytes }
    if (depth > 64) throw new InvalidManifestError(`The DAG of ${manifest.root.toString()} is deeper than a manifest allows`)
    const node = readNode(bytes, `Node ${cid.toString()}`)
    if (node.unsupported !== undefined) throw new InvalidManifestError(node.unsupported)
    let childOffset = offset
    for (const child of node.children) {
      if (overlaps(childOffset, child.size)) yield * visit(child.cid, childOffset, depth + 1)
      childOffset += child.size
    }
  }
  // A root that is the only leaf is visited whatever the range: it is the root.
  yield * visit(manifest.root.cid, 0, 0)
}
