/**
 * The content model: UnixFS DAGs laid out as `ipfs add` does (so a content id is the CID IPFS
 * gives the same bytes), manifests built from bytes or fetched block by block and verified, and
 * the leaf blocks chunks travel in. No engine, no Node.js built-ins.
 */
export * from './build-manifest.js'
export * from './resolve-manifest.js'
export * from './leaf.js'
export * from './hasher.js'
export * from './content-id-of.js'
export * from './dag-walk.js'
