import { CID } from 'multiformats/cid'
import { ContentId } from './content-id.js'
import { InvalidManifestError } from './errors.js'
import { DAG_PB_CODE, RAW_CODE } from './codes.js'

/** One interior node of a content's DAG: its CID and its exact encoded bytes. */
export interface ManifestBlock {
  readonly cid: CID
  readonly bytes: Uint8Array
}

/** What a manifest is made of. */
export interface ManifestInit {
  /** The DAG's root CID (the content id). */
  root: CID
  /** Leaf CIDs in file order; chunk index = leaf position. */
  chunks: readonly CID[]
  /** File-data length of each leaf, in the same order. */
  sizes: readonly number[]
  /** Interior dag-pb nodes, root first (empty when the root is itself the only leaf). */
  blocks: readonly ManifestBlock[]
}

const MAGIC = [0x43, 0x43, 0x4d, 0x46] // "CCMF"
const FORMAT_VERSION = 1

/**
 * The map of a content: its root CID, the ordered chunk (leaf) CIDs and sizes, and the interior
 * DAG nodes that prove them. A manifest is built locally from bytes (see `buildManifest`) or
 * fetched from peers and verified node by node (see `resolveManifest`).
 *
 * @example
 * ```ts
 * import { buildManifest } from '@codio-chunk/core'
 * const manifest = await buildManifest(bytes, { chunkSize: 256 * 1024 })
 * manifest.root.toString()   // 'bafy…', the same as `ipfs add --cid-version 1`
 * manifest.chunkCount        // leaves in the DAG
 * manifest.chunkLength(0)    // bytes in chunk 0
 * ```
 */
export class Manifest {
  /** The content id (root CID of the DAG). */
  readonly root: ContentId
  /** Number of chunks (DAG leaves). At least 1: empty content has one empty chunk. */
  readonly chunkCount: number
  /** Total content size in bytes. */
  readonly totalSize: number
  /** Length of the first chunk: the chunker's size for every chunk but the last. */
  readonly chunkSize: number
  /** Multicodec of the leaves: `0x55` raw (CIDv1 default) or `0x70` dag-pb (`ipfs add` with CIDv0). */
  readonly leafCodec: number
  /** Multihash code of the leaves, e.g. `0x12` for SHA-256. */
  readonly hashCode: number
  /** Interior DAG nodes, root first. */
  readonly blocks: readonly ManifestBlock[]
  private readonly chunkCids: readonly CID[]
  private readonly offsets: Float64Array
  private readonly blockIndex: Map<string, Uint8Array>

  constructor (init: ManifestInit) {
    const { root, chunks, sizes, blocks } = init
    if (chunks.length === 0) throw new InvalidManifestError('A manifest needs at least one chunk')
    if (chunks.length !== sizes.length) throw new InvalidManifestError('A manifest needs one size per chunk')
    this.root = ContentId.fromCid(root)
    this.chunkCids = chunks
    this.chunkCount = chunks.length
    this.offsets = new Float64Array(chunks.length + 1)
    let offset = 0
    for (let i = 0; i < sizes.length; i++) {
      const size = sizes[i]
      if (!Number.isSafeInteger(size) || size < 0) throw new InvalidManifestError(`Chunk ${i} has an invalid size ${size}`)
      this.offsets[i] = offset
      offset += size
    }
    this.offsets[chunks.length] = offset
    this.totalSize = offset
    this.chunkSize = sizes[0]
    this.leafCodec = chunks[0].code
    this.hashCode = chunks[0].multihash.code
    this.blocks = blocks
    this.blockIndex = new Map(blocks.map(b => [b.cid.toString(), b.bytes]))
  }

  /** The CID of chunk `index` (the leaf block's CID). */
  chunkCid (index: number): CID {
    this.checkIndex(index)
    return this.chunkCids[index]
  }

  /** Bytes of file data in chunk `index`. */
  chunkLength (index: number): number {
    this.checkIndex(index)
    return this.offsets[index + 1] - this.offsets[index]
  }

  /** Byte offset of chunk `index` in the content. */
  chunkOffset (index: number): number {
    this.checkIndex(index)
    return this.offsets[index]
  }

  /** The chunk containing byte `offset` of the content. */
  chunkAt (offset: number): number {
    if (offset < 0 || offset >= this.totalSize) return -1
    let lo = 0
    let hi = this.chunkCount - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.offsets[mid] <= offset) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /** The interior block with this CID, or undefined. */
  getBlock (cid: CID): Uint8Array | undefined {
    return this.blockIndex.get(cid.toString())
  }

  /** A compact binary form for storage. Read back with {@link Manifest.fromBytes}. */
  toBytes (): Uint8Array {
    const rootBytes = this.root.cid.bytes
    let size = 4 + 1 + 1 + rootBytes.length + 4 + 4
    for (const cid of this.chunkCids) size += 1 + cid.bytes.length + 4
    for (const block of this.blocks) size += 1 + block.cid.bytes.length + 4 + block.bytes.length
    const out = new Uint8Array(size)
    const view = new DataView(out.buffer)
    let p = 0
    out.set(MAGIC, p); p += 4
    out[p++] = FORMAT_VERSION
    const putCid = (cid: CID): void => {
      out[p++] = cid.bytes.length
      out.set(cid.bytes, p); p += cid.bytes.length
    }
    putCid(this.root.cid)
    view.setUint32(p, this.chunkCount); p += 4
    for (let i = 0; i < this.chunkCount; i++) {
      putCid(this.chunkCids[i])
      view.setUint32(p, this.chunkLength(i)); p += 4
    }
    view.setUint32(p, this.blocks.length); p += 4
    for (const block of this.blocks) {
      putCid(block.cid)
      view.setUint32(p, block.bytes.length); p += 4
      out.set(block.bytes, p); p += block.bytes.length
    }
    return out
  }

  /**
   * Reads the form written by {@link Manifest.toBytes}. Throws `InvalidManifestError`, and nothing
   * else, for bytes that are not such a form: truncated, with a root that is not a content id, chunk
   * CIDs of a codec or hash no content has, a chunk longer than {@link MAX_STORED_CHUNK_LENGTH}, or
   * more chunks or blocks than the bytes given can hold (checked before anything is allocated for
   * them, so a short input never costs more memory than its own size).
   *
   * It does not check the manifest against its content id: the chunk CIDs and sizes are taken as
   * written. A reader that cannot trust the bytes checks the interior blocks it carries with
   * `resolveManifest` (as storage-fs does when it opens a content); manifests from peers are
   * fetched block by block with `resolveManifest` in the first place.
   *
   * @example
   * ```ts
   * const copy = Manifest.fromBytes(manifest.toBytes())
   * copy.chunkCid(0).equals(manifest.chunkCid(0)) // true
   * Manifest.fromBytes(new Uint8Array(3))          // throws InvalidManifestError
   * ```
   */
  static fromBytes (bytes: Uint8Array): Manifest {
    if (!(bytes instanceof Uint8Array)) throw new InvalidManifestError('A stored manifest must be given as bytes (a Uint8Array)')
    try {
      return parseManifest(bytes)
    } catch (err) {
      if (err instanceof InvalidManifestError) throw err
      // A CID the multiformats library refuses, a root that is no content id, …: all one story.
      throw new InvalidManifestError(`Stored manifest is corrupt (${err instanceof Error ? err.message : String(err)}); delete the content and add it again`, { cause: err })
    }
  }

  private checkIndex (index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.chunkCount) {
      throw new RangeError(`Chunk index ${index} is out of range 0..${this.chunkCount - 1}`)
    }
  }
}

/**
 * Longest chunk a stored manifest may describe, in bytes: 4 MiB of file data (the largest chunk
 * `buildManifest` makes and the engine's default `maxChunkSize`) plus the few bytes a dag-pb leaf
 * wraps it in, rounded up. {@link Manifest.fromBytes} refuses a chunk length above it, so a
 * corrupt length cannot make a reader allocate or read a gigabyte for one chunk.
 */
export const MAX_STORED_CHUNK_LENGTH = 4 * 1024 * 1024 + 64

/** Bytes a chunk record takes at least: its CID-length byte and its size (the CID adds more). */
const MIN_CHUNK_RECORD = 5
/** Bytes a block record takes at least: its CID-length byte and its length (the CID adds more). */
const MIN_BLOCK_RECORD = 5

/** The parser behind {@link Manifest.fromBytes}; may throw library errors, which it wraps. */
function parseManifest (bytes: Uint8Array): Manifest {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let p = 0
  const need = (n: number, what: string): void => {
    if (n > bytes.length - p) throw new InvalidManifestError(`Stored manifest is truncated: ${what} needs ${n} bytes, ${bytes.length - p} are left`)
  }
  need(5, 'the header')
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw new InvalidManifestError('Stored manifest has a bad magic number: it is not a codio-chunk manifest')
  p = 4
  const version = bytes[p++]
  if (version !== FORMAT_VERSION) throw new InvalidManifestError(`Stored manifest has unknown format version ${version}`)
  const getCid = (what: string): CID => {
    need(1, what)
    const len = bytes[p++]
    need(len, what)
    let cid: CID
    try {
      cid = CID.decode(bytes.subarray(p, p + len))
    } catch (err) {
      throw new InvalidManifestError(`Stored manifest has an invalid CID for ${what}`, { cause: err })
    }
    p += len
    return cid
  }
  const getUint32 = (what: string): number => {
    need(4, what)
    const value = view.getUint32(p)
    p += 4
    return value
  }
  const root = getCid('the root')
  const count = getUint32('the chunk count')
  if (count === 0) throw new InvalidManifestError('Stored manifest lists no chunks; a content has at least one')
  // Every chunk record and the block count must fit in what is left: refuse before allocating.
  if (count > (bytes.length - p - 4) / MIN_CHUNK_RECORD) {
    throw new InvalidManifestError(`Stored manifest claims ${count} chunks but holds only ${bytes.length} bytes`)
  }
  const chunks: CID[] = new Array(count)
  const sizes: number[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const cid = getCid(`chunk ${i}`)
    if (cid.code !== RAW_CODE && cid.code !== DAG_PB_CODE) {
      throw new InvalidManifestError(`Stored manifest gives chunk ${i} the codec 0x${cid.code.toString(16)}; chunks are raw (0x55) or dag-pb (0x70) leaves`)
    }
    if (i > 0 && (cid.code !== chunks[0].code || cid.multihash.code !== chunks[0].multihash.code)) {
      throw new InvalidManifestError(`Stored manifest gives chunk ${i} another codec or hash than chunk 0; a content's leaves share both`)
    }
    chunks[i] = cid
    const size = getUint32(`the size of chunk ${i}`)
    if (size > MAX_STORED_CHUNK_LENGTH) {
      throw new InvalidManifestError(`Stored manifest gives chunk ${i} a length of ${size} bytes, more than the ${MAX_STORED_CHUNK_LENGTH} a chunk can have`)
    }
    sizes[i] = size
  }
  const blockCount = getUint32('the block count')
  if (blockCount > (bytes.length - p) / MIN_BLOCK_RECORD) {
    throw new InvalidManifestError(`Stored manifest claims ${blockCount} blocks but holds only ${bytes.length} bytes`)
  }
  const blocks: ManifestBlock[] = []
  for (let i = 0; i < blockCount; i++) {
    const cid = getCid(`block ${i}`)
    const len = getUint32(`the length of block ${i}`)
    need(len, `block ${i}`)
    blocks.push({ cid, bytes: bytes.slice(p, p + len) })
    p += len
  }
  if (p !== bytes.length) throw new InvalidManifestError(`Stored manifest has ${bytes.length - p} bytes of junk after its last block`)
  return new Manifest({ root, chunks, sizes, blocks })
}
