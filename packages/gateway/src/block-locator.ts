import { leafBlock } from '@codio-chunk/content'
import { ContentId } from '@codio-chunk/interface'
import type { CID } from 'multiformats/cid'
import type { Logger, Manifest, Storage } from '@codio-chunk/interface'

/** Where a block lives: content `root`, chunk `index` (a leaf), or -1 for an interior node. */
export interface BlockPlace {
  readonly root: ContentId
  readonly index: number
}

/** Most blocks the locator keeps in its index; contents beyond it are not looked into. */
export const MAX_INDEXED_BLOCKS = 1_000_000
/** Least time between two scans of the storage for contents not indexed yet. */
const RESCAN_INTERVAL = 1000

/** A key for a block whatever the CID version it is named with (CIDv0 and CIDv1 of one dag-pb block meet). */
const keyOf = (cid: CID): string => cid.toV1().toString()

/**
 * Finds which content a block belongs to, for raw block requests of blocks that are not a
 * content's root: the interior nodes and leaves of every manifest the node stores, indexed on
 * first need (each manifest once; manifests never change) and looked up by CID. A miss rescans the
 * storage's list for new contents, at most once a second, so a stream of unknown CIDs costs one
 * listing a second; manifests the gateway fetches itself are indexed at once (`add`). The index is bounded ({@link MAX_INDEXED_BLOCKS}); past it, further contents
 * are not indexed (and logged once).
 *
 * @example
 * ```ts
 * const locator = new BlockLocator(node.storage, log)
 * const place = await locator.find(leafCid) // { root, index } or undefined
 * ```
 */
export class BlockLocator {
  private readonly places = new Map<string, BlockPlace>()
  private readonly indexed = new Set<string>()
  private scanning?: Promise<void>
  private lastScan = Number.NEGATIVE_INFINITY
  private full = false

  constructor (private readonly storage: Storage, private readonly log: Logger) {}

  /** The content and position of a block, or undefined if no stored manifest has it. */
  async find (cid: CID): Promise<BlockPlace | undefined> {
    const key = keyOf(cid)
    const known = this.places.get(key)
    if (known !== undefined) return known
    if (Date.now() - this.lastScan >= RESCAN_INTERVAL) {
      this.scanning ??= this.scan().finally(() => { this.scanning = undefined })
      await this.scanning
    }
    return this.places.get(key)
  }

  private async scan (): Promise<void> {
    this.lastScan = Date.now()
    for (const root of await this.storage.list()) {
      if (this.full) return
      const rootKey = root.toString()
      if (this.indexed.has(rootKey)) continue
      const manifest = await this.storage.getManifest(root).catch(() => undefined)
      if (manifest !== undefined) this.add(manifest)
      this.indexed.add(rootKey)
    }
  }

  /** Indexes a manifest the gateway just fetched (once per content). */
  add (manifest: Manifest): void {
    const rootKey = manifest.root.toString()
    if (this.full || this.indexed.has(rootKey)) return
    this.indexed.add(rootKey)
    if (this.places.size + manifest.blocks.length + manifest.chunkCount > MAX_INDEXED_BLOCKS) {
      this.full = true
      this.log('block index full (%d blocks): contents from %s on are not indexed for raw block requests', this.places.size, manifest.root.toString())
      return
    }
    const root = manifest.root
    for (const block of manifest.blocks) this.places.set(keyOf(block.cid), { root, index: -1 })
    for (let i = 0; i < manifest.chunkCount; i++) {
      const key = keyOf(manifest.chunkCid(i))
      if (!this.places.has(key)) this.places.set(key, { root, index: i })
    }
  }
}

/**
 * The block with CID `cid` within a content, given its manifest and a way to read chunk data:
 * an interior node from the manifest, a leaf rebuilt from its chunk (`leafBlock`).
 */
export async function blockOf (manifest: Manifest, cid: CID, index: number, chunk: (index: number) => Promise<Uint8Array>): Promise<Uint8Array | undefined> {
  if (index === -1) return manifest.getBlock(cid) ?? manifest.blocks.find(b => keyOf(b.cid) === keyOf(cid))?.bytes
  return leafBlock(manifest, index, await chunk(index))
}
