import { ContentMismatchError, InvalidConfigError, InvalidManifestError, throwIfAborted } from '@codio-chunk/interface'
import { ContentId } from '@codio-chunk/interface'
import { verifyBlock } from './hasher.js'
import { dagPbLeafSize } from './leaf.js'
import { readNode } from './dag-node.js'
import { DAG_PB_CODE, Manifest, RAW_CODE } from '@codio-chunk/interface'
import type { AbortOptions } from '@codio-chunk/interface'
import type { Verifier } from '@codio-chunk/interface'
import type { ManifestBlock } from '@codio-chunk/interface'
import type { Child, DagNode } from './dag-node.js'
import type { CID } from 'multiformats/cid'

/** What {@link resolveManifest} tells a {@link FetchBlock} about the block it asks for. */
export interface FetchBlockOptions extends AbortOptions {
  /**
   * Checks bytes that hash to the CID against the rules of UnixFS and what the DAG around the block
   * records about it (sizes, whether it is a leaf); throws `InvalidManifestError` if they break
   * them. Such a block is bad whoever sent it, as a block that does not hash to its CID is: a
   * fetcher that knows the sender counts it against the sender (the engine does, and bans the
   * sender as for bad chunks). Call it only with bytes that hash to the CID. Blocks this node merely
   * does not support, or refuses for its own limits, pass it. `resolveManifest` runs the same
   * check on what the fetcher returns, so a fetcher may ignore it. Absent for raw blocks.
   */
  check?: (bytes: Uint8Array) => void
}

/** Fetches one block by CID from somewhere (a peer, a gateway). The bytes are not trusted. */
export type FetchBlock = (cid: CID, options: FetchBlockOptions) => Promise<Uint8Array>

/** Options of {@link resolveManifest}. */
export interface ResolveManifestOptions extends AbortOptions {
  /** Hashes blocks whose multihash code is its code. Without one, only SHA-256 DAGs resolve. */
  verifier?: Verifier
  /** Most chunks (leaves) accepted. Default 2^22. */
  maxChunks?: number
  /** Largest chunk accepted, in bytes. Default 4 MiB. */
  maxChunkSize?: number
  /** Sibling blocks fetched at once. Default 8. */
  concurrency?: number
  /**
   * Set when `fetchBlock` itself only returns bytes it has checked against the CID (as the engine
   * does, to try another peer on a mismatch): blocks are then not hashed a second time.
   */
  fetchVerifies?: boolean
}

/** What {@link resolveManifest} found. */
export interface ResolvedManifest {
  /** The verified manifest, equal to the one `buildManifest` makes from the content. */
  manifest: Manifest
  /** Leaf blocks fetched on the way (verified), by chunk index, so they need not be fetched again. */
  leaves: Map<number, Uint8Array>
}

/** Deepest leaf accepted (the root is depth 0). */
export const MAX_DAG_DEPTH = 8
/** Largest interior node accepted, in bytes (IPFS peers exchange blocks of at most 2 MiB). */
const MAX_NODE_BYTES = 2 * 1024 * 1024

interface Context {
  fetchBlock: FetchBlock
  verifier?: Verifier
  signal?: AbortSignal
  maxChunks: number
  maxChunkSize: number
  concurrency: number
  fetchVerifies: boolean
}

/** A fetched dag-pb block and what {@link readNode} read in it. */
interface Fetched {
  bytes: Uint8Array
  node: DagNode
}

/**
 * Fetches a content's DAG from its root, verifying every block against its CID before decoding it,
 * and returns the manifest: the ordered leaf CIDs and sizes and the interior nodes, equal to what
 * `buildManifest` makes from the content. Only balanced UnixFS file DAGs are accepted (what
 * `ipfs add` makes by default, CIDv0 or CIDv1). A block that does not match its CID throws
 * `ContentMismatchError`; directories, trickle DAGs, inconsistent sizes, too many or too large
 * chunks throw `InvalidManifestError`; a root that cannot be a content id throws
 * `InvalidContentIdError`; a hash without a verifier throws `UnsupportedHashError`. Raw leaves are
 * never fetched; of dag-pb leaves only the first is (its block is returned in `leaves`).
 *
 * Each dag-pb block is asked for with a `check` ({@link FetchBlockOptions}) that throws
 * `InvalidManifestError` for a block that breaks the rules of UnixFS or contradicts what its
 * parents record about it, so a fetcher that knows who sent the block can count it against the
 * sender. Blocks that are valid but not supported (a directory, a trickle DAG) and this node's own
 * limits (`maxChunks`, `maxChunkSize`, depth, node size) are refused after the fetch, not by the
 * check: no sender is at fault for them.
 *
 * @example
 * ```ts
 * import { buildManifest, leafBlock, resolveManifest } from '@codio-chunk/core'
 * const bytes = new TextEncoder().encode('hello world\n')
 * const built = await buildManifest(bytes, { cidVersion: 0 })
 * const blocks = new Map([[built.root.toString(), leafBlock(built, 0, bytes)]])
 * const { manifest, leaves } = await resolveManifest(built.root.cid, async (cid) => blocks.get(cid.toString())!)
 * manifest.chunkCount // 1, and leaves.get(0) is the block fetched for it
 * ```
 */
export async function resolveManifest (root: CID, fetchBlock: FetchBlock, options: ResolveManifestOptions = {}): Promise<ResolvedManifest> {
  const ctx = checkOptions(fetchBlock, options)
  const rootCid = ContentId.fromCid(root).cid // InvalidContentIdError for CIDs that cannot be content ids
  const single = (bytes: Uint8Array, size: number, where: string): ResolvedManifest => {
    checkChunkSize(ctx, size, where)
    return {
      manifest: new Manifest({ root: rootCid, chunks: [rootCid], sizes: [size], blocks: [] }),
      leaves: new Map([[0, bytes]])
    }
  }
  if (rootCid.code === RAW_CODE) {
    const rootBytes = await fetchVerified(ctx, rootCid, ctx.signal)
    return single(rootBytes, rootBytes.length, 'The root (a raw leaf)')
  }
  const where = `The root ${rootCid.toString()}`
  const { bytes: rootBytes, node } = await fetchNode(ctx, rootCid, ctx.signal, (bytes) => readNode(bytes, where))
  supported(node)
  if (node.leafBytes !== undefined) return single(rootBytes, node.leafBytes, 'The root (a dag-pb leaf)')
  const leaves = new Map<number, Uint8Array>()
  const blocks: ManifestBlock[] = [{ cid: rootCid, bytes: rootBytes }]
  const seen = new Set<string>([rootCid.toString()])
  let children = node.children
  for (let depth = 1; ; depth++) {
    throwIfAborted(ctx.signal, 'manifest resolution')
    if (depth > MAX_DAG_DEPTH) throw new InvalidManifestError(`The DAG of ${rootCid.toString()} is deeper than ${MAX_DAG_DEPTH} levels`)
    if (children.length > ctx.maxChunks) {
      throw new InvalidManifestError(`The content ${rootCid.toString()} has more than ${ctx.maxChunks} chunks (maxChunks)`)
    }
    const codec = levelCodec(children, depth)
    if (codec === RAW_CODE) return { manifest: leafLevel(ctx, rootCid, children, blocks), leaves }
    const records = recordsOf(children)
    const firstCid = children[0].cid
    const first = await fetchNode(ctx, firstCid, ctx.signal, (bytes) => readChild(bytes, firstCid, records, true))
    supported(first.node)
    if (first.node.leafBytes !== undefined) {
      leaves.set(0, first.bytes)
      return { manifest: leafLevel(ctx, rootCid, children, blocks), leaves }
    }
    children = await interiorLevel(ctx, children, records, first, blocks, seen)
  }
}

function checkOptions (fetchBlock: FetchBlock, options: ResolveManifestOptions): Context {
  if (typeof fetchBlock !== 'function') throw new InvalidConfigError('resolveManifest needs a fetchBlock function')
  const maxChunks = options.maxChunks ?? 2 ** 22
  const maxChunkSize = options.maxChunkSize ?? 4 * 1024 * 1024
  const concurrency = options.concurrency ?? 8
  if (!Number.isSafeInteger(maxChunks) || maxChunks < 1) throw new InvalidConfigError(`maxChunks must be a positive integer, got ${String(maxChunks)}`)
  if (!Number.isSafeInteger(maxChunkSize) || maxChunkSize < 1) throw new InvalidConfigError(`maxChunkSize must be a positive integer, got ${String(maxChunkSize)}`)
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new InvalidConfigError(`concurrency must be an integer from 1 to 256, got ${String(concurrency)}`)
  return { fetchBlock, verifier: options.verifier, signal: options.signal, maxChunks, maxChunkSize, concurrency, fetchVerifies: options.fetchVerifies === true }
}

/** Fetches a block and checks it hashes to its CID (ContentMismatchError otherwise); `check` goes to the fetcher. */
async function fetchVerified (ctx: Context, cid: CID, signal: AbortSignal | undefined, check?: (bytes: Uint8Array) => void): Promise<Uint8Array> {
  throwIfAborted(signal, 'manifest resolution')
  const bytes = await ctx.fetchBlock(cid, check === undefined ? { signal } : { signal, check })
  throwIfAborted(signal, 'manifest resolution')
  if (!(bytes instanceof Uint8Array)) throw new ContentMismatchError(`No bytes were returned for block ${cid.toString()}`)
  if (!ctx.fetchVerifies && !await verifyBlock(cid, bytes, ctx.verifier)) {
    throw new ContentMismatchError(`The ${bytes.length} bytes received for block ${cid.toString()} do not hash to its CID; the sender is faulty, fetch it from another peer`)
  }
  if (cid.code === DAG_PB_CODE && bytes.length > Math.max(MAX_NODE_BYTES, ctx.maxChunkSize + 1024)) {
    throw new InvalidManifestError(`Block ${cid.toString()} is ${bytes.length} bytes, larger than any node this node accepts`)
  }
  return bytes
}

/**
 * Fetches and verifies a dag-pb block and reads it with `read`, which is also the check handed to
 * the fetcher: it reads each bytes object once, whether the fetcher ran it or not.
 */
async function fetchNode (ctx: Context, cid: CID, signal: AbortSignal | undefined, read: (bytes: Uint8Array) => DagNode): Promise<Fetched> {
  let last: Fetched | undefined
  const check = (bytes: Uint8Array): void => {
    if (last?.bytes !== bytes) last = { bytes, node: read(bytes) }
  }
  const bytes = await fetchVerified(ctx, cid, signal, check)
  check(bytes)
  return last as Fetched
}

/** Throws InvalidManifestError for a valid node this node does not resolve. */
function supported (node: DagNode): void {
  if (node.unsupported !== undefined) throw new InvalidManifestError(node.unsupported)
}

/** What the parents at one level record about each child, by CID (a CID may appear several times). */
function recordsOf (children: Child[]): Map<string, Child[]> {
  const records = new Map<string, Child[]>()
  for (const child of children) {
    const key = child.cid.toString()
    const list = records.get(key)
    if (list === undefined) records.set(key, [child])
    else list.push(child)
  }
  return records
}

/**
 * Reads a child block and checks it against every record its parents keep of it: the bytes under
 * it and its Tsize. The first child of a level may be a leaf (the level is then the leaves);
 * another child that is a leaf makes the DAG unbalanced, which is valid but not supported.
 */
function readChild (bytes: Uint8Array, cid: CID, records: Map<string, Child[]>, first: boolean): DagNode {
  const key = cid.toString()
  const node = readNode(bytes, `Node ${key}`)
  if (node.unsupported !== undefined) return node
  const recorded = records.get(key) ?? []
  if (node.leafBytes !== undefined) {
    if (!first) return { children: [], unsupported: `Node ${key} is a leaf where its siblings are interior nodes; only balanced DAGs are supported` }
    for (const { size, tsize } of recorded) {
      if (node.leafBytes !== size) throw new InvalidManifestError(`Leaf 0 (${key}) holds a different number of bytes than its parent records`)
      if (tsize !== undefined && tsize !== bytes.length) throw new InvalidManifestError(`The link to leaf 0 (${key}) records a Tsize of ${tsize}, but the leaf block is ${bytes.length} bytes`)
    }
    return node
  }
  const held = bytesSum(node.children)
  for (const { size, tsize } of recorded) {
    if (held !== size) throw new InvalidManifestError(`Node ${key} holds a different number of bytes than its parent records`)
    if (tsize !== undefined && tsize < bytes.length + size) throw new InvalidManifestError(`The link to ${key} records a Tsize smaller than the node itself`)
  }
  return node
}

/** The codec shared by every child of a level; a mix means leaves at different depths. */
function levelCodec (children: Child[], depth: number): number {
  const codec = children[0].cid.code
  for (const child of children) {
    if (child.cid.code !== codec) {
      throw new InvalidManifestError(`Level ${depth} of the DAG mixes raw leaves and dag-pb nodes; only balanced DAGs are supported`)
    }
  }
  return codec
}

/** Fetches every distinct node of an interior level (the first is already fetched) and returns the next level. */
async function interiorLevel (ctx: Context, children: Child[], records: Map<string, Child[]>, first: Fetched, blocks: ManifestBlock[], seen: Set<string>): Promise<Child[]> {
  const distinct = new Map<string, CID>()
  for (const child of children) distinct.set(child.cid.toString(), child.cid)
  distinct.delete(children[0].cid.toString())
  const cids = [...distinct.values()]
  const fetched = await fetchAll(ctx, cids, (cid) => (bytes) => readChild(bytes, cid, records, false))
  const byKey = new Map<string, Fetched>([[children[0].cid.toString(), first]])
  for (let i = 0; i < cids.length; i++) byKey.set(cids[i].toString(), fetched[i])
  const next: Child[] = []
  for (const child of children) {
    const key = child.cid.toString()
    const { bytes, node } = byKey.get(key) as Fetched
    supported(node)
    if (!seen.has(key)) {
      seen.add(key)
      blocks.push({ cid: child.cid, bytes })
    }
    if (next.length + node.children.length > ctx.maxChunks) throw new InvalidManifestError(`The content has more than ${ctx.maxChunks} chunks (maxChunks)`)
    for (const grandchild of node.children) next.push(grandchild)
  }
  return next
}

/** The manifest whose leaves are `children`, after checking their sizes. */
function leafLevel (ctx: Context, root: CID, children: Child[], blocks: ManifestBlock[]): Manifest {
  const chunks: CID[] = new Array(children.length)
  const sizes: number[] = new Array(children.length)
  const hash = children[0].cid.multihash.code
  for (let i = 0; i < children.length; i++) {
    const { cid, size, tsize } = children[i]
    const where = (): string => `Leaf ${i} (${cid.toString()})`
    if (size > ctx.maxChunkSize) throw new InvalidManifestError(`${where()} is ${size} bytes, larger than maxChunkSize (${ctx.maxChunkSize})`)
    if (cid.multihash.code !== hash) throw new InvalidManifestError(`${where()} uses another hash than leaf 0; mixed hashes are not supported`)
    const encoded = cid.code === RAW_CODE ? size : dagPbLeafSize(size)
    if (tsize !== undefined && tsize !== encoded) {
      throw new InvalidManifestError(`The link to ${where()} records a Tsize of ${tsize}, not the ${encoded} bytes of a ${size}-byte leaf; only balanced DAGs are supported`)
    }
    chunks[i] = cid
    sizes[i] = size
  }
  return new Manifest({ root, chunks, sizes, blocks })
}

/** Fetches and reads dag-pb blocks with bounded concurrency; the first failure cancels the rest. */
async function fetchAll (ctx: Context, cids: CID[], reader: (cid: CID) => (bytes: Uint8Array) => DagNode): Promise<Fetched[]> {
  const results: Fetched[] = new Array(cids.length)
  if (cids.length === 0) return results
  const controller = new AbortController()
  const signal = ctx.signal === undefined ? controller.signal : AbortSignal.any([ctx.signal, controller.signal])
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < cids.length) {
      const i = next++
      results[i] = await fetchNode(ctx, cids[i], signal, reader(cids[i]))
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(ctx.concurrency, cids.length) }, worker))
  } catch (err) {
    controller.abort(err)
    throw err
  }
  return results
}

function bytesSum (children: Child[]): number {
  let total = 0
  for (const child of children) total += child.size
  return total
}

function checkChunkSize (ctx: Context, size: number, where: string): void {
  if (size > ctx.maxChunkSize) throw new InvalidManifestError(`${where} is ${size} bytes, larger than maxChunkSize (${ctx.maxChunkSize})`)
}
