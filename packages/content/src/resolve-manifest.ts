import { decode as decodePb } from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { ContentMismatchError, InvalidConfigError, InvalidManifestError, throwIfAborted } from '@codio-chunk/interface'
import { ContentId } from '@codio-chunk/interface'
import { verifyBlock } from './hasher.js'
import { dagPbLeafSize, unixfsLeafData } from './leaf.js'
import { BLAKE3_CODE, DAG_PB_CODE, Manifest, RAW_CODE, SHA2_256_CODE } from '@codio-chunk/interface'
import type { AbortOptions } from '@codio-chunk/interface'
import type { Verifier } from '@codio-chunk/interface'
import type { ManifestBlock } from '@codio-chunk/interface'
import type { PBLink } from '@ipld/dag-pb'
import type { CID } from 'multiformats/cid'

/** Fetches one block by CID from somewhere (a peer, a gateway). The bytes are not trusted. */
export type FetchBlock = (cid: CID, options: AbortOptions) => Promise<Uint8Array>

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

/** A link to resolve, with what its parent says about it. */
interface Child {
  cid: CID
  /** File bytes under the child (the parent's UnixFS blockSizes entry). */
  size: number
  /** The link's cumulative encoded size, if the parent recorded it. */
  tsize?: number
}

interface DecodedNode {
  links: PBLink[]
  unixfs: UnixFS
  /** The UnixFS `filesize` field, if present. */
  fileSize?: bigint
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
  const rootBytes = await fetchVerified(ctx, rootCid, ctx.signal)
  const single = (size: number): ResolvedManifest => ({
    manifest: new Manifest({ root: rootCid, chunks: [rootCid], sizes: [size], blocks: [] }),
    leaves: new Map([[0, rootBytes]])
  })
  if (rootCid.code === RAW_CODE) {
    checkChunkSize(ctx, rootBytes.length, 'The root (a raw leaf)')
    return single(rootBytes.length)
  }
  const node = decodeNode(rootBytes, `The root ${rootCid.toString()}`)
  if (node.links.length === 0) {
    const size = leafSize(rootBytes, node, 'The root (a dag-pb leaf)')
    checkChunkSize(ctx, size, 'The root (a dag-pb leaf)')
    return single(size)
  }
  const leaves = new Map<number, Uint8Array>()
  const blocks: ManifestBlock[] = [{ cid: rootCid, bytes: rootBytes }]
  const seen = new Set<string>([rootCid.toString()])
  let children = childrenOf(node, `The root ${rootCid.toString()}`)
  for (let depth = 1; ; depth++) {
    throwIfAborted(ctx.signal, 'manifest resolution')
    if (depth > MAX_DAG_DEPTH) throw new InvalidManifestError(`The DAG of ${rootCid.toString()} is deeper than ${MAX_DAG_DEPTH} levels`)
    if (children.length > ctx.maxChunks) {
      throw new InvalidManifestError(`The content ${rootCid.toString()} has more than ${ctx.maxChunks} chunks (maxChunks)`)
    }
    const codec = levelCodec(children, depth)
    if (codec === RAW_CODE) return { manifest: leafLevel(ctx, rootCid, children, blocks), leaves }
    const first = await fetchVerified(ctx, children[0].cid, ctx.signal)
    const firstNode = decodeNode(first, `Node ${children[0].cid.toString()}`)
    if (firstNode.links.length === 0) {
      const where = `Leaf 0 (${children[0].cid.toString()})`
      if (leafSize(first, firstNode, where) !== children[0].size) {
        throw new InvalidManifestError(`${where} holds a different number of bytes than its parent records`)
      }
      leaves.set(0, first)
      return { manifest: leafLevel(ctx, rootCid, children, blocks), leaves }
    }
    children = await interiorLevel(ctx, children, first, blocks, seen)
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

/** Fetches a block and checks it hashes to its CID (ContentMismatchError otherwise). */
async function fetchVerified (ctx: Context, cid: CID, signal: AbortSignal | undefined): Promise<Uint8Array> {
  throwIfAborted(signal, 'manifest resolution')
  const bytes = await ctx.fetchBlock(cid, { signal })
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

/** Decodes a verified dag-pb block as a UnixFS file node (InvalidManifestError otherwise). */
function decodeNode (bytes: Uint8Array, where: string): DecodedNode {
  let links: PBLink[]
  let data: Uint8Array | undefined
  try {
    const node = decodePb(bytes)
    links = node.Links
    data = node.Data
  } catch (err) {
    throw new InvalidManifestError(`${where} is not a valid dag-pb node`, { cause: err })
  }
  if (data === undefined) throw new InvalidManifestError(`${where} has no UnixFS data; only UnixFS files are supported`)
  let unixfs: UnixFS
  try {
    unixfs = UnixFS.unmarshal(data)
  } catch (err) {
    throw new InvalidManifestError(`${where} does not hold valid UnixFS data`, { cause: err })
  }
  if (unixfs.type !== 'file' && unixfs.type !== 'raw') {
    throw new InvalidManifestError(`${where} is a UnixFS ${unixfs.type}; only files are supported (use the CID of a file, not of a directory or symlink)`)
  }
  return { links, unixfs, fileSize: readFileSize(data, where) }
}

/** The file bytes in a dag-pb leaf, checked against its `filesize` field. */
function leafSize (bytes: Uint8Array, node: DecodedNode, where: string): number {
  const size = unixfsLeafData(bytes, where).length
  if (node.fileSize !== undefined && node.fileSize !== BigInt(size)) {
    throw new InvalidManifestError(`${where} holds ${size} bytes but its filesize says ${node.fileSize}`)
  }
  return size
}

/** The children of an interior node, after checking its sizes add up. */
function childrenOf (node: DecodedNode, where: string): Child[] {
  const { links, unixfs } = node
  if (unixfs.type !== 'file') throw new InvalidManifestError(`${where} is a UnixFS ${unixfs.type} node with links; only file nodes can have children`)
  if (unixfs.data !== undefined && unixfs.data.length > 0) {
    throw new InvalidManifestError(`${where} holds file data besides its links; only balanced DAGs are supported`)
  }
  if (unixfs.blockSizes.length !== links.length) {
    throw new InvalidManifestError(`${where} has ${links.length} links but ${unixfs.blockSizes.length} block sizes`)
  }
  let total = 0n
  const children: Child[] = new Array(links.length)
  for (let i = 0; i < links.length; i++) {
    const size = unixfs.blockSizes[i]
    if (size <= 0n || size > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidManifestError(`${where} records an invalid size ${size} for link ${i}`)
    total += size
    const cid = links[i].Hash
    checkCid(cid, i, where)
    children[i] = { cid, size: Number(size), tsize: links[i].Tsize }
  }
  if (node.fileSize === undefined || node.fileSize !== total) {
    throw new InvalidManifestError(`${where} records a file size of ${node.fileSize ?? 'nothing'} but its block sizes add up to ${total}`)
  }
  return children
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
async function interiorLevel (ctx: Context, children: Child[], first: Uint8Array, blocks: ManifestBlock[], seen: Set<string>): Promise<Child[]> {
  const distinct = new Map<string, CID>()
  for (const child of children) distinct.set(child.cid.toString(), child.cid)
  distinct.delete(children[0].cid.toString())
  const fetched = await fetchAll(ctx, [...distinct.values()])
  const bytesOf = new Map<string, Uint8Array>([[children[0].cid.toString(), first]])
  for (const [i, key] of [...distinct.keys()].entries()) bytesOf.set(key, fetched[i])
  const decoded = new Map<string, Child[]>()
  const next: Child[] = []
  for (const child of children) {
    const key = child.cid.toString()
    const bytes = bytesOf.get(key) as Uint8Array
    let grandchildren = decoded.get(key)
    if (grandchildren === undefined) {
      const where = `Node ${key}`
      const node = decodeNode(bytes, where)
      if (node.links.length === 0) throw new InvalidManifestError(`${where} is a leaf where its siblings are interior nodes; only balanced DAGs are supported`)
      grandchildren = childrenOf(node, where)
      decoded.set(key, grandchildren)
      if (!seen.has(key)) {
        seen.add(key)
        blocks.push({ cid: child.cid, bytes })
      }
    }
    if (bytesSum(grandchildren) !== child.size) throw new InvalidManifestError(`Node ${key} holds a different number of bytes than its parent records`)
    if (child.tsize !== undefined && child.tsize < bytes.length + child.size) throw new InvalidManifestError(`The link to ${key} records a Tsize smaller than the node itself`)
    if (next.length + grandchildren.length > ctx.maxChunks) throw new InvalidManifestError(`The content has more than ${ctx.maxChunks} chunks (maxChunks)`)
    for (const grandchild of grandchildren) next.push(grandchild)
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

/** Fetches blocks with bounded concurrency; the first failure cancels the rest. */
async function fetchAll (ctx: Context, cids: CID[]): Promise<Uint8Array[]> {
  const results: Uint8Array[] = new Array(cids.length)
  if (cids.length === 0) return results
  const controller = new AbortController()
  const signal = ctx.signal === undefined ? controller.signal : AbortSignal.any([ctx.signal, controller.signal])
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < cids.length) {
      const i = next++
      results[i] = await fetchVerified(ctx, cids[i], signal)
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

/** Only raw and dag-pb blocks hashed with 32-byte SHA-256 or BLAKE3 can be part of a content. */
function checkCid (cid: CID, link: number, parent: string): void {
  if (cid.code !== RAW_CODE && cid.code !== DAG_PB_CODE) {
    throw new InvalidManifestError(`Link ${link} of ${parent} is ${cid.toString()}, whose codec 0x${cid.code.toString(16)} is neither raw nor dag-pb`)
  }
  const hash = cid.multihash.code
  if ((hash !== SHA2_256_CODE && hash !== BLAKE3_CODE) || cid.multihash.size !== 32) {
    throw new InvalidManifestError(`Link ${link} of ${parent} is ${cid.toString()}, whose hash 0x${hash.toString(16)} is not a 32-byte sha2-256 or blake3 digest`)
  }
}

/** Reads the UnixFS `filesize` field (3) from encoded UnixFS data (already validated by unmarshal). */
function readFileSize (data: Uint8Array, where: string): bigint | undefined {
  let fileSize: bigint | undefined
  let p = 0
  const varint = (): bigint => {
    let value = 0n
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (p >= data.length) break
      const byte = data[p++]
      value |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) return value
    }
    throw new InvalidManifestError(`${where} has malformed UnixFS data`)
  }
  while (p < data.length) {
    const key = varint()
    const wire = Number(key & 7n)
    if (wire === 0) {
      const value = varint()
      if (key >> 3n === 3n) fileSize = value
    } else if (wire === 2) {
      const length = Number(varint())
      p += length
    } else if (wire === 1 || wire === 5) {
      p += wire === 1 ? 8 : 4
    } else {
      throw new InvalidManifestError(`${where} has malformed UnixFS data`)
    }
  }
  if (p > data.length) throw new InvalidManifestError(`${where} has malformed UnixFS data`)
  return fileSize
}
