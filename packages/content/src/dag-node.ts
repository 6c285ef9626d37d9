import { decode as decodePb } from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { BLAKE3_CODE, DAG_PB_CODE, InvalidManifestError, RAW_CODE, SHA2_256_CODE } from '@codio-chunk/interface'
import type { PBLink } from '@ipld/dag-pb'
import type { CID } from 'multiformats/cid'

/** A link of an interior node, with what that node records about it. */
export interface Child {
  cid: CID
  /** File bytes under the child (the parent's UnixFS blockSizes entry). */
  size: number
  /** The link's cumulative encoded size, if the parent recorded it. */
  tsize?: number
}

/**
 * A dag-pb block of a content's DAG, decoded and checked against the UnixFS rules by
 * {@link readNode}. Either a leaf (`leafBytes`), an interior node (`children`), or a valid node of
 * a kind this node does not resolve (`unsupported`).
 */
export interface DagNode {
  /** File bytes a leaf (a node without links) holds; undefined for an interior node. */
  leafBytes?: number
  /** An interior node's links with the sizes it records (empty for a leaf). */
  children: Child[]
  /**
   * Why the node, though it breaks no rule of UnixFS, cannot be part of a content this node
   * resolves (a directory, data besides links, a link to a CID that cannot be a chunk…); when
   * set, the other fields may be incomplete.
   */
  unsupported?: string
}

/**
 * Decodes a dag-pb block of a content's DAG. Throws `InvalidManifestError` only when the block
 * breaks the rules of dag-pb and UnixFS: it does not decode, holds no UnixFS data or invalid
 * UnixFS data, a leaf holds another number of bytes than its `filesize` says, an interior node
 * records another number of block sizes than it has links, block sizes that do not add up to its
 * `filesize`, a size of 0, a `Tsize` for a raw leaf other than its size, or is a UnixFS `raw` node
 * with links. Such a block cannot belong to any valid content, whoever sent it. What is valid but
 * not supported (directories, symlinks, file data in interior nodes, links to CIDs that cannot be
 * chunks, sizes beyond 2^53) is returned in `unsupported` instead, for the caller to refuse.
 *
 * @example
 * ```ts
 * const node = readNode(bytes, `Node ${cid.toString()}`)
 * if (node.unsupported !== undefined) throw new InvalidManifestError(node.unsupported)
 * ```
 */
export function readNode (bytes: Uint8Array, where: string): DagNode {
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
    return { children: [], unsupported: `${where} is a UnixFS ${unixfs.type}; only files are supported (use the CID of a file, not of a directory or symlink)` }
  }
  const fileSize = readFileSize(data, where)
  if (links.length === 0) {
    if (unixfs.blockSizes.length !== 0) throw new InvalidManifestError(`${where} lists child block sizes but has no links`)
    const leafBytes = unixfs.data?.length ?? 0
    if (fileSize !== undefined && fileSize !== BigInt(leafBytes)) {
      throw new InvalidManifestError(`${where} holds ${leafBytes} bytes but its filesize says ${fileSize}`)
    }
    return { leafBytes, children: [] }
  }
  return interior(links, unixfs, fileSize, where)
}

/** The children of an interior node, after checking that what it records adds up. */
function interior (links: PBLink[], unixfs: UnixFS, fileSize: bigint | undefined, where: string): DagNode {
  if (unixfs.type !== 'file') throw new InvalidManifestError(`${where} is a UnixFS ${unixfs.type} node with links; only file nodes can have children`)
  if (unixfs.data !== undefined && unixfs.data.length > 0) {
    return { children: [], unsupported: `${where} holds file data besides its links; only balanced DAGs are supported` }
  }
  if (unixfs.blockSizes.length !== links.length) {
    throw new InvalidManifestError(`${where} has ${links.length} links but ${unixfs.blockSizes.length} block sizes`)
  }
  let total = 0n
  const children: Child[] = new Array(links.length)
  for (let i = 0; i < links.length; i++) {
    const size = unixfs.blockSizes[i]
    if (size <= 0n) throw new InvalidManifestError(`${where} records an invalid size ${size} for link ${i}`)
    if (size > BigInt(Number.MAX_SAFE_INTEGER)) return { children: [], unsupported: `${where} records an invalid size ${size} for link ${i}, larger than this node handles` }
    total += size
    const { Hash: cid, Tsize: tsize } = links[i]
    const problem = cidProblem(cid, i, where)
    if (problem !== undefined) return { children: [], unsupported: problem }
    if (cid.code === RAW_CODE && tsize !== undefined && tsize !== Number(size)) {
      throw new InvalidManifestError(`The link to leaf ${cid.toString()} in ${where} records a Tsize of ${tsize}, not the ${size} bytes of its raw leaf`)
    }
    children[i] = { cid, size: Number(size), tsize }
  }
  if (fileSize === undefined) return { children: [], unsupported: `${where} records no file size; only files laid out as ipfs add does are supported` }
  if (fileSize !== total) throw new InvalidManifestError(`${where} records a file size of ${fileSize} but its block sizes add up to ${total}`)
  return { children }
}

/** Why a link cannot point to a chunk or node of a content: only raw and dag-pb blocks hashed with 32-byte SHA-256 or BLAKE3 can. */
function cidProblem (cid: CID, link: number, parent: string): string | undefined {
  if (cid.code !== RAW_CODE && cid.code !== DAG_PB_CODE) {
    return `Link ${link} of ${parent} is ${cid.toString()}, whose codec 0x${cid.code.toString(16)} is neither raw nor dag-pb`
  }
  const hash = cid.multihash.code
  if ((hash !== SHA2_256_CODE && hash !== BLAKE3_CODE) || cid.multihash.size !== 32) {
    return `Link ${link} of ${parent} is ${cid.toString()}, whose hash 0x${hash.toString(16)} is not a 32-byte sha2-256 or blake3 digest`
  }
  return undefined
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
