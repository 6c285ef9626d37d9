import { decode as decodePb } from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { ChunkVerificationError, InvalidManifestError } from '@codio-chunk/interface'
import { RAW_CODE } from '@codio-chunk/interface'
import type { Manifest } from '@codio-chunk/interface'

/** Protobuf tags of a dag-pb UnixFS leaf: PBNode.Data (1, bytes), UnixFS Type (1), Data (2), filesize (3). */
const TAG_PB_DATA = 0x0a
const TAG_TYPE = 0x08
const TAG_DATA = 0x12
const TAG_FILESIZE = 0x18
/** UnixFS `Type.File`. */
const TYPE_FILE = 2

/**
 * The exact leaf block whose hash is `manifest.chunkCid(index)`, from that chunk's file data.
 * Raw leaves: the data itself (no copy). dag-pb leaves (CIDv0 content): the UnixFS `file` node the
 * IPFS importer writes, byte for byte. Throws `ChunkVerificationError` if `data` has the wrong length.
 *
 * @example
 * ```ts
 * import { buildManifest, leafBlock, verifyBlock } from '@codio-chunk/core'
 * const bytes = new TextEncoder().encode('hello world\n')
 * const manifest = await buildManifest(bytes, { cidVersion: 0 })
 * await verifyBlock(manifest.chunkCid(0), leafBlock(manifest, 0, bytes)) // true
 * ```
 */
export function leafBlock (manifest: Manifest, index: number, data: Uint8Array): Uint8Array {
  const expected = manifest.chunkLength(index)
  if (data.length !== expected) {
    throw new ChunkVerificationError(`Chunk ${index} of ${manifest.root.toString()} has ${data.length} bytes but the manifest says ${expected}`)
  }
  if (manifest.leafCodec === RAW_CODE) return data
  return fileLeafBlock(data)
}

/**
 * The file data inside leaf block `block` of chunk `index` (the inverse of {@link leafBlock}).
 * Raw leaves: the block itself. dag-pb leaves: checked to be a UnixFS `file` or `raw` node without
 * links holding exactly `manifest.chunkLength(index)` bytes, returned as a view into `block` (no
 * copy); anything else throws `InvalidManifestError`. The block's hash is not checked here.
 *
 * @example
 * ```ts
 * import { buildManifest, leafBlock, leafData } from '@codio-chunk/core'
 * const bytes = new TextEncoder().encode('hello world\n')
 * const manifest = await buildManifest(bytes, { cidVersion: 0 })
 * leafData(manifest, 0, leafBlock(manifest, 0, bytes)) // the 12 bytes of 'hello world\n'
 * ```
 */
export function leafData (manifest: Manifest, index: number, block: Uint8Array): Uint8Array {
  const expected = manifest.chunkLength(index)
  if (manifest.leafCodec === RAW_CODE) {
    // The hot path (CIDv1 raw leaves): no message is built unless the length is wrong.
    if (block.length !== expected) throw new InvalidManifestError(`Leaf ${index} of ${manifest.root.toString()} has ${block.length} bytes but the manifest says ${expected}`)
    return block
  }
  const where = `Leaf ${index} of ${manifest.root.toString()}`
  const data = unixfsLeafData(block, where)
  if (data.length !== expected) throw new InvalidManifestError(`${where} holds ${data.length} bytes of file data but the manifest says ${expected}`)
  return data
}

/**
 * The encoded size of the dag-pb UnixFS `file` leaf holding `dataLength` bytes, i.e.
 * `leafBlock(...).length` for CIDv0 content (and the `Tsize` its parent link records).
 *
 * @example
 * ```ts
 * import { dagPbLeafSize } from '@codio-chunk/core'
 * dagPbLeafSize(262144) // 262158
 * ```
 */
export function dagPbLeafSize (dataLength: number): number {
  const inner = unixfsLength(dataLength)
  return 1 + varintLength(inner) + inner
}

/**
 * Decodes a dag-pb leaf block and returns its UnixFS file data (a view into `block`). Throws
 * `InvalidManifestError` (its message starting with `where`) if it is not a UnixFS `file` or `raw`
 * node without links.
 *
 * @example
 * ```ts
 * import { fileLeafBlock, unixfsLeafData } from '@codio-chunk/core'
 * const block = fileLeafBlock(new TextEncoder().encode('hi'))
 * unixfsLeafData(block, 'Leaf 3') // the 2 bytes of 'hi'; a directory node would throw InvalidManifestError
 * ```
 */
export function unixfsLeafData (block: Uint8Array, where = 'The leaf block'): Uint8Array {
  let links: number
  let pbData: Uint8Array | undefined
  try {
    const node = decodePb(block)
    links = node.Links.length
    pbData = node.Data
  } catch (err) {
    throw new InvalidManifestError(`${where} is not a valid dag-pb node`, { cause: err })
  }
  if (links !== 0) throw new InvalidManifestError(`${where} has ${links} links where a leaf was expected; only balanced DAGs are supported`)
  if (pbData === undefined) throw new InvalidManifestError(`${where} has no UnixFS data; only UnixFS files are supported`)
  let unixfs: UnixFS
  try {
    unixfs = UnixFS.unmarshal(pbData)
  } catch (err) {
    throw new InvalidManifestError(`${where} does not hold valid UnixFS data`, { cause: err })
  }
  if (unixfs.type !== 'file' && unixfs.type !== 'raw') {
    throw new InvalidManifestError(`${where} is a UnixFS ${unixfs.type}; only files are supported`)
  }
  if (unixfs.blockSizes.length !== 0) throw new InvalidManifestError(`${where} lists child block sizes but has no links`)
  return unixfs.data ?? block.subarray(0, 0)
}

/**
 * Encodes the dag-pb UnixFS `file` leaf holding `data`, byte for byte as the IPFS importer (and
 * Kubo) write leaves when raw leaves are off: `{ Data: UnixFS{ type: file, data, filesize }, Links: [] }`.
 * `data` is copied once, into the returned block.
 *
 * @example
 * ```ts
 * import { fileLeafBlock } from '@codio-chunk/core'
 * fileLeafBlock(new Uint8Array(0)) // Uint8Array [0x0a, 0x04, 0x08, 0x02, 0x18, 0x00]
 * ```
 */
export function fileLeafBlock (data: Uint8Array): Uint8Array {
  const n = data.length
  const inner = unixfsLength(n)
  const out = new Uint8Array(1 + varintLength(inner) + inner)
  let p = 0
  out[p++] = TAG_PB_DATA
  p = writeVarint(out, p, inner)
  out[p++] = TAG_TYPE
  out[p++] = TYPE_FILE
  if (n > 0) {
    out[p++] = TAG_DATA
    p = writeVarint(out, p, n)
    out.set(data, p)
    p += n
  }
  out[p++] = TAG_FILESIZE
  writeVarint(out, p, n)
  return out
}

/** Length of the UnixFS message `{ type: file, data (omitted when empty), filesize }`. */
function unixfsLength (n: number): number {
  return 2 + (n > 0 ? 1 + varintLength(n) + n : 0) + 1 + varintLength(n)
}

function varintLength (value: number): number {
  let length = 1
  while (value >= 0x80) {
    value = Math.floor(value / 0x80)
    length++
  }
  return length
}

function writeVarint (out: Uint8Array, p: number, value: number): number {
  while (value >= 0x80) {
    out[p++] = (value % 0x80) | 0x80
    value = Math.floor(value / 0x80)
  }
  out[p++] = value
  return p
}
