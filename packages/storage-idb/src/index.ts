export { idbStorage, DEFAULT_DATABASE_NAME } from './idb-storage.js'
export type { IdbStorageInit } from './idb-storage.js'
export { CHUNKS, MANIFESTS, SCHEMA_VERSION } from './idb-database.js'
export type { IdbFactory, IdbKeyRangeStatic } from './idb-api.js'
