/** Multicodec code of raw leaves (CIDv1 default: a chunk's CID hashes exactly its bytes). */
export const RAW_CODE = 0x55
/** Multicodec code of dag-pb nodes (UnixFS interior nodes, and leaves of CIDv0 content). */
export const DAG_PB_CODE = 0x70
/** Multihash code of SHA-256. */
export const SHA2_256_CODE = 0x12
/** Multihash code of BLAKE3 (256-bit). */
export const BLAKE3_CODE = 0x1e
