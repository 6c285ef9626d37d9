import { encode as encodePb, prepare } from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { InvalidConfigError, UnsupportedHashError, throwIfAborted } from '@codio-chunk/interface'
import { checkDigestLength, defaultHasher } from './hasher.js'
import { fileLeafBlock } from './leaf.js'
import { BLAKE3_CODE, DAG_PB_CODE, Manifest, RAW_CODE, SHA2_256_CODE } from '@codio-chunk/interface'
import type { AbortOptions } from '@codio-chunk/interface'
import type { Verifier } from '@codio-chunk/interface'
import type { ManifestBlock } from '@codio-chunk/interface'
import type { PBLink } from '@ipld/dag-pb'
import type { InProgressImportResult, MultipleBlockImportResult } from 'ipfs-unixfs-importer'

/** Default chunk size: 256 KiB, as `ipfs add`. */
export const DEFAULT_CHUNK_SIZE = 262_144
/** Smallest chunk size accepted. */
export const MIN_CHUNK_SIZE = 1024
/** Largest chunk size accepted (4 MiB, twice the largest block IPFS peers exchange). */
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024
/** Links per DAG node, as `ipfs add` (Kubo's balanced layout). */
export const MAX_LINKS_PER_NODE = 174

/** Options of {@link buildManifest}. */
export interface BuildManifestOptions extends AbortOptions {
  /** Bytes per chunk (leaf): 1 KiB to 4 MiB, default 256 KiB (`ipfs add --chunker=size-N`). */
  chunkSize?: number
  /** 1 (default): CIDv1 with raw leaves (`ipfs add --cid-version 1`). 0: `Qm…` with dag-pb leaves (plain `ipfs add`). */
  cidVersion?: 0 | 1
  /**
   * Hashes every block (a SHA-256 or BLAKE3 verifier; its `digestMany` gets several chunks at once).
   * Default: SHA-256 in `node:crypto`. CIDv0 requires SHA-256.
   */
  verifier?: Verifier
  /**
   * Receives each chunk's file data exactly once, in order (index 0, 1, 2, …), before it is hashed;
   * the build waits for a returned promise (backpressure). Chunks of a `Uint8Array` source are views
   * of it; chunks of a stream may be views of its buffers, so a source that reuses its buffers must
   * not be combined with keeping the chunks without copying them.
   */
  onChunk?: (index: number, data: Uint8Array) => void | Promise<void>
}

interface Settings {
  chunkSize: number
  cidVersion: 0 | 1
  hashCode: number
  batchSize: number
  signal?: AbortSignal
  onChunk?: (index: number, data: Uint8Array) => void | Promise<void>
  digestOne: (bytes: Uint8Array) => Promise<Uint8Array>
  digestMany: (blocks: Uint8Array[]) => Promise<Uint8Array[]>
}

/** A DAG node as the importer's balanced layout passes it around, plus what the reducer needs. */
interface DagNode extends MultipleBlockImportResult {
  /** Leaf position for leaves, -1 for interior nodes. */
  index: number
  /** 0 for leaves, 1 + children's depth for interior nodes. */
  depth: number
  /** File bytes under this node (the parent's UnixFS blockSizes entry). */
  fileSize: number
  /** Cumulative encoded size (the parent link's Tsize). */
  tsize: number
}

/** Bytes hashed per verifier call: several chunks at once so batch and SIMD verifiers can work. */
const BATCH_BYTES = 4 * 1024 * 1024
const MAX_BATCH = 16

/**
 * Chunks content and builds its DAG exactly as `ipfs add` does: fixed-size chunks are the leaves of
 * a balanced tree of dag-pb/UnixFS nodes with at most 174 links each, and the root CID is the
 * content id. A single chunk is its own root. Uses the IPFS importer's fixed-size chunker and
 * balanced layout, and encodes nodes as its file builder does, hashing every block with the
 * verifier (the importer itself can only hash with SHA-256).
 *
 * Streams are read once and never held whole: only a few chunks and the interior nodes are in
 * memory at a time. Hand the chunks to storage through `onChunk`.
 *
 * @example
 * ```ts
 * import { buildManifest } from '@codio-chunk/core'
 * import { createReadStream } from 'node:fs'
 * import { mkdir, writeFile } from 'node:fs/promises'
 * await mkdir('chunks', { recursive: true })
 * const manifest = await buildManifest(createReadStream('video.mp4'), {
 *   onChunk: async (index, data) => { await writeFile(`chunks/${index}`, data) }
 * })
 * manifest.root.toString() // 'bafy…', as `ipfs add --cid-version 1 video.mp4`
 * ```
 */
export async function buildManifest (source: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: BuildManifestOptions = {}): Promise<Manifest> {
  const settings = checkOptions(options)
  throwIfAborted(settings.signal, 'manifest build')
  const chunks: CID[] = []
  const sizes: number[] = []
  const levels: ManifestBlock[][] = []
  const leaves = leafNodes(withCallback(chunksOf(source, settings.chunkSize), settings), settings, chunks, sizes)
  const layout = balanced({ maxChildrenPerNode: MAX_LINKS_PER_NODE })
  const root = await layout(leaves, reducer(settings, levels)) as DagNode
  throwIfAborted(settings.signal, 'manifest build')
  return new Manifest({ root: root.cid, chunks, sizes, blocks: rootFirst(levels) })
}

function checkOptions (options: BuildManifestOptions): Settings {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
  if (!Number.isSafeInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new InvalidConfigError(`chunkSize must be an integer from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE} bytes, got ${String(chunkSize)}`)
  }
  const cidVersion = options.cidVersion ?? 1
  if (cidVersion !== 0 && cidVersion !== 1) throw new InvalidConfigError(`cidVersion must be 0 or 1, got ${String(cidVersion)}`)
  const verifier = options.verifier
  const hashCode = verifier?.code ?? SHA2_256_CODE
  if (hashCode !== SHA2_256_CODE && hashCode !== BLAKE3_CODE) {
    throw new UnsupportedHashError(`Verifier ${verifier?.name ?? ''} (multihash 0x${hashCode.toString(16)}) cannot make content ids: use a sha2-256 or blake3 verifier`)
  }
  if (cidVersion === 0 && hashCode !== SHA2_256_CODE) {
    throw new InvalidConfigError(`CIDv0 content ids are always sha2-256, but the verifier is ${verifier?.name ?? ''}; use cidVersion 1 or a sha2-256 verifier`)
  }
  if (options.onChunk !== undefined && typeof options.onChunk !== 'function') throw new InvalidConfigError('onChunk must be a function')
  const signal = options.signal
  const digestOne = verifier === undefined
    ? async (bytes: Uint8Array) => (await defaultHasher.digest(bytes)).digest
    : async (bytes: Uint8Array) => checkDigestLength(verifier, await verifier.digest(bytes))
  const digestMany = verifier === undefined
    ? async (blocks: Uint8Array[]) => await Promise.all(blocks.map(digestOne))
    : async (blocks: Uint8Array[]) => {
      const digests = await verifier.digestMany(blocks, { signal })
      if (!Array.isArray(digests) || digests.length !== blocks.length) {
        throw new InvalidConfigError(`Verifier ${verifier.name} returned ${Array.isArray(digests) ? digests.length : 'no'} digests for ${blocks.length} inputs; fix the verifier plugin`)
      }
      return digests.map(digest => checkDigestLength(verifier, digest))
    }
  const batchSize = Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_BYTES / chunkSize)))
  return { chunkSize, cidVersion, hashCode, batchSize, signal, onChunk: options.onChunk, digestOne, digestMany }
}

/** Cuts the source into chunks: views for a `Uint8Array`, the importer's fixed-size chunker for streams. */
async function * chunksOf (source: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, chunkSize: number): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    if (source.length === 0) yield source
    for (let offset = 0; offset < source.length; offset += chunkSize) {
      yield source.subarray(offset, Math.min(offset + chunkSize, source.length))
    }
    return
  }
  const isStream = source != null && (typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function' ||
    typeof (source as Iterable<Uint8Array>)[Symbol.iterator] === 'function')
  if (!isStream) throw new TypeError('buildManifest needs a Uint8Array or an (async) iterable of Uint8Arrays')
  yield * fixedSize({ chunkSize })(onlyBytes(source))
}

async function * onlyBytes (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const piece of source) {
    if (!(piece instanceof Uint8Array)) throw new TypeError(`buildManifest sources must yield Uint8Arrays, got ${typeof piece}`)
    if (piece.length > 0) yield piece
  }
}

/** Hands each chunk to `onChunk` (awaited) and checks for abort between chunks. */
async function * withCallback (chunks: AsyncIterable<Uint8Array>, settings: Settings): AsyncGenerator<Uint8Array> {
  let index = 0
  for await (const chunk of chunks) {
    throwIfAborted(settings.signal, 'manifest build')
    if (settings.onChunk !== undefined) await settings.onChunk(index, chunk)
    index++
    yield chunk
  }
}

/**
 * Turns chunks into leaf nodes, in order, recording each leaf's CID and size by position. Chunks
 * are hashed a batch at a time, with the next batch read while the previous one hashes.
 */
async function * leafNodes (chunks: AsyncIterable<Uint8Array>, settings: Settings, cids: CID[], sizes: number[]): AsyncGenerator<DagNode> {
  const raw = settings.cidVersion === 1
  const hashBatch = async (data: Uint8Array[], first: number): Promise<DagNode[]> => {
    const blocks = raw ? data : data.map(fileLeafBlock)
    const digests = await settings.digestMany(blocks)
    return blocks.map((block, i) => {
      const multihash = createDigest(settings.hashCode, digests[i])
      const cid = raw ? CID.createV1(RAW_CODE, multihash) : CID.create(settings.cidVersion, DAG_PB_CODE, multihash)
      const index = first + i
      cids[index] = cid
      sizes[index] = data[i].length
      return { cid, size: BigInt(block.length), index, depth: 0, fileSize: data[i].length, tsize: block.length }
    })
  }
  let batch: Uint8Array[] = []
  let next = 0
  let pending: Promise<DagNode[]> | undefined
  const launch = (): Promise<DagNode[]> => {
    const started = hashBatch(batch, next)
    started.catch(() => {}) // awaited below; this only keeps an early exit from leaving it unhandled
    next += batch.length
    batch = []
    return started
  }
  for await (const chunk of chunks) {
    batch.push(chunk)
    if (batch.length < settings.batchSize) continue
    const started = launch()
    if (pending !== undefined) yield * await pending
    pending = started
  }
  const last = batch.length > 0 ? launch() : undefined
  if (pending !== undefined) yield * await pending
  if (last !== undefined) yield * await last
}

/** Builds interior nodes exactly as the IPFS importer's file reducer, recording each by depth. */
function reducer (settings: Settings, levels: ManifestBlock[][]): (nodes: InProgressImportResult[]) => Promise<InProgressImportResult> {
  return async (nodes) => {
    const children = nodes as DagNode[]
    if (children.length === 1 && children[0].index === 0) return children[0] // a single chunk is its own root
    const unixfs = new UnixFS({ type: 'file' })
    const links: PBLink[] = []
    let fileSize = 0
    let tsize = 0
    for (const child of children) {
      if (child.fileSize === 0) continue // the importer never links empty leaves
      unixfs.addBlockSize(BigInt(child.fileSize))
      links.push({ Name: '', Tsize: child.tsize, Hash: child.cid })
      fileSize += child.fileSize
      tsize += child.tsize
    }
    throwIfAborted(settings.signal, 'manifest build')
    const bytes = encodePb(prepare({ Data: unixfs.marshal(), Links: links }))
    const cid = CID.create(settings.cidVersion, DAG_PB_CODE, createDigest(settings.hashCode, await settings.digestOne(bytes)))
    const depth = children[0].depth + 1
    const level = levels[depth] ?? (levels[depth] = [])
    level.push({ cid, bytes })
    return { cid, size: BigInt(bytes.length + tsize), index: -1, depth, fileSize, tsize: bytes.length + tsize }
  }
}

/** Interior blocks root first, then level by level, left to right, each distinct block once. */
function rootFirst (levels: ManifestBlock[][]): ManifestBlock[] {
  const seen = new Set<string>()
  const out: ManifestBlock[] = []
  for (let depth = levels.length - 1; depth >= 1; depth--) {
    for (const block of levels[depth] ?? []) {
      const key = block.cid.toString()
      if (seen.has(key)) continue
      seen.add(key)
      out.push(block)
    }
  }
  return out
}
