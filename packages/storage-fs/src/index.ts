export { fsStorage } from './fs-storage.js'
export type { FsStorageInit } from './options.js'
export type { FsyncMode } from './content-state.js'
export { MANIFEST_FILE, DATA_FILE, JOURNAL_FILE } from './layout.js'
