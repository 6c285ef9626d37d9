import { Bitfield, ContentId, InvalidConfigError, Manifest, NotFoundError, StorageError, throwIfAborted } from '@codio-chunk/interface'
import type { AbortOptions, Storage, StorageComponents } from '@codio-chunk/interface'
import { runtimeIndexedDb } from './idb-api.js'
import type { IdbDatabase, IdbFactory, IdbKeyRangeStatic } from './idb-api.js'
import { CHUNKS, MANIFESTS, committed, openDatabase, requested, storageError } from './idb-database.js'
import { WriteBatch } from './write-batch.js'

/** Options of {@link idbStorage}. */
export interface IdbStorageInit {
  /** The IndexedDB database name; pages that share one share their contents. Default `codio-chunk`. */
  name?: string
  /** The IndexedDB factory. Default: the runtime's `indexedDB` (tests pass fake-indexeddb's). */
  indexedDB?: IdbFactory
  /** The `IDBKeyRange` that goes with `indexedDB`. Default: the runtime's. */
  IDBKeyRange?: IdbKeyRangeStatic
}

/** The default database name. */
export const DEFAULT_DATABASE_NAME = 'codio-chunk'

/**
 * Storage in the browser's IndexedDB: manifests and chunks stay across page reloads and restarts,
 * so a download interrupted by a reload resumes with the chunks already stored (the engine asks
 * `completed()` and fetches only the rest). Chunks are one record each (`[cid, index]` → bytes),
 * written in one transaction per batch; nothing holds a whole content in memory. Browser-neutral:
 * no Node.js built-ins (Node.js tests use fake-indexeddb).
 *
 * `putChunk` keeps no reference to its bytes once it resolved (`copiesOnPut`) and every
 * `getChunk` returns a new buffer (`ownedReads`). A missing chunk or manifest rejects with
 * `NotFoundError`, a chunk index out of range or a chunk of the wrong length with `RangeError`,
 * a full quota with `StorageError`, an aborted signal with `AbortError`.
 *
 * @example
 * ```ts
 * import { ChunkConfig, ChunkDistributor } from '@codio-chunk/core'
 * import { idbStorage } from '@codio-chunk/storage-idb'
 * import { webSocketTransport } from '@codio-chunk/transport-websocket'
 * import { sha256Verifier } from '@codio-chunk/verifier-sha256'
 * const node = await ChunkDistributor.create(ChunkConfig.default(), {
 *   transports: [webSocketTransport()], verifier: sha256Verifier(), storage: idbStorage({ name: 'my-app' })
 * })
 * await node.download(cid, providers)          // after a reload, the same call resumes
 * for await (const bytes of node.readContent(cid)) console.log(bytes.length)
 * ```
 */
export function idbStorage (init: IdbStorageInit = {}): (components?: Partial<StorageComponents>) => Storage {
  const name = init.name ?? DEFAULT_DATABASE_NAME
  if (typeof name !== 'string' || name.length === 0) throw new InvalidConfigError('idbStorage({ name }) needs a non-empty database name')
  return () => {
    const runtime = runtimeIndexedDb()
    const indexedDB = init.indexedDB ?? runtime?.indexedDB
    const keyRange = init.IDBKeyRange ?? runtime?.IDBKeyRange
    if (indexedDB === undefined || keyRange === undefined) {
      throw new InvalidConfigError('idbStorage needs IndexedDB: run it in a browser, or pass { indexedDB, IDBKeyRange } (e.g. from fake-indexeddb)')
    }
    return new IdbStorage(name, indexedDB, keyRange)
  }
}

class IdbStorage implements Storage {
  readonly name = 'idb'
  readonly copiesOnPut = true
  readonly ownedReads = true
  private db: Promise<IdbDatabase> | undefined
  private closed = false
  /** Manifests read or stored by this storage, by content id. */
  private readonly manifests = new Map<string, Manifest>()
  private readonly writes: WriteBatch

  constructor (private readonly dbName: string, private readonly factory: IdbFactory, private readonly keyRange: IdbKeyRangeStatic) {
    this.writes = new WriteBatch(async () => await this.database())
  }

  async putManifest (manifest: Manifest, options?: AbortOptions): Promise<void> {
    this.check(options)
    const key = manifest.root.toString()
    if (this.manifests.has(key)) return
    const tx = (await this.database()).transaction(MANIFESTS, 'readwrite')
    const store = tx.objectStore(MANIFESTS)
    // Idempotent: a manifest already stored (by an earlier page, say) is kept as it is. The put is
    // issued from the get's callback, while the transaction is still active.
    const request = store.get(key)
    const bytes = manifest.toBytes()
    request.onsuccess = () => { if (request.result === undefined) store.put(bytes, key) }
    await committed(tx)
    this.manifests.set(key, manifest)
  }

  async getManifest (root: ContentId, options?: AbortOptions): Promise<Manifest | undefined> {
    this.check(options)
    return await this.manifest(root.toString())
  }

  async putChunk (root: ContentId, index: number, data: Uint8Array, options?: AbortOptions): Promise<void> {
    this.check(options)
    const manifest = await this.requireManifest(root)
    checkIndex(manifest, index)
    const expected = manifest.chunkLength(index)
    if (data.byteLength !== expected) throw new RangeError(`Chunk ${index} of content ${root.toString()} is ${expected} bytes, got ${data.byteLength}`)
    throwIfAborted(options?.signal, 'storage operation')
    // A view would be stored with its whole underlying buffer: store exactly the chunk's bytes.
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer
    await this.writes.put([root.toString(), index], whole ? data : data.slice())
  }

  async getChunk (root: ContentId, index: number, options?: AbortOptions): Promise<Uint8Array> {
    this.check(options)
    const manifest = await this.requireManifest(root)
    checkIndex(manifest, index)
    const tx = (await this.database()).transaction(CHUNKS, 'readonly')
    const value = await requested(tx.objectStore(CHUNKS).get([root.toString(), index]))
    if (!(value instanceof Uint8Array)) throw new NotFoundError(`Chunk ${index} of content ${root.toString()} is not stored yet: download it first`)
    return value
  }

  async completed (root: ContentId, options?: AbortOptions): Promise<Bitfield | undefined> {
    this.check(options)
    const key = root.toString()
    const manifest = await this.manifest(key)
    if (manifest === undefined) return undefined
    const have = new Bitfield(manifest.chunkCount)
    for (const index of await this.storedIndices(key)) {
      if (index >= 0 && index < manifest.chunkCount) have.set(index)
    }
    return have
  }

  async list (options?: AbortOptions): Promise<ContentId[]> {
    this.check(options)
    const tx = (await this.database()).transaction(MANIFESTS, 'readonly')
    const keys = await requested(tx.objectStore(MANIFESTS).getAllKeys())
    return keys.filter((key): key is string => typeof key === 'string').map(key => ContentId.parse(key))
  }

  async delete (root: ContentId, options?: AbortOptions): Promise<void> {
    this.check(options)
    const key = root.toString()
    const tx = (await this.database()).transaction([MANIFESTS, CHUNKS], 'readwrite')
    tx.objectStore(MANIFESTS).delete(key)
    tx.objectStore(CHUNKS).delete(this.chunkRange(key))
    await committed(tx)
    this.manifests.delete(key)
  }

  async * readContent (root: ContentId, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    this.check(options)
    const have = await this.completed(root, options)
    if (have === undefined) throw new NotFoundError(`Content ${root.toString()} is not in storage: download it first`)
    const missing = have.length - have.count
    if (missing > 0) throw new NotFoundError(`Content ${root.toString()} is missing ${missing} of ${have.length} chunks: finish downloading it before reading it`)
    for (let index = 0; index < have.length; index++) {
      throwIfAborted(options?.signal, 'content read')
      yield await this.getChunk(root, index)
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    const db = this.db
    this.db = undefined
    if (db !== undefined) (await db.catch(() => undefined))?.close()
  }

  private check (options: AbortOptions | undefined): void {
    if (this.closed) throw new StorageError('This IndexedDB storage was closed; create a new one with idbStorage()')
    throwIfAborted(options?.signal, 'storage operation')
  }

  private async database (): Promise<IdbDatabase> {
    if (this.closed) throw new StorageError('This IndexedDB storage was closed; create a new one with idbStorage()')
    this.db ??= openDatabase(this.factory, this.dbName).catch((err: unknown) => {
      this.db = undefined
      throw err
    })
    return await this.db
  }

  private async manifest (key: string): Promise<Manifest | undefined> {
    const cached = this.manifests.get(key)
    if (cached !== undefined) return cached
    const tx = (await this.database()).transaction(MANIFESTS, 'readonly')
    const bytes = await requested(tx.objectStore(MANIFESTS).get(key))
    if (!(bytes instanceof Uint8Array)) return undefined
    let manifest: Manifest
    try {
      manifest = Manifest.fromBytes(bytes)
    } catch (err) {
      throw storageError(`The stored manifest of ${key} is damaged; delete the content and download it again`, err)
    }
    this.manifests.set(key, manifest)
    return manifest
  }

  private async requireManifest (root: ContentId): Promise<Manifest> {
    const manifest = await this.manifest(root.toString())
    if (manifest === undefined) throw new NotFoundError(`Content ${root.toString()} is not in storage: store its manifest with putManifest() first`)
    return manifest
  }

  private chunkRange (key: string): object {
    return this.keyRange.bound([key, 0], [key, Number.MAX_SAFE_INTEGER])
  }

  private async storedIndices (key: string): Promise<number[]> {
    const tx = (await this.database()).transaction(CHUNKS, 'readonly')
    const keys = await requested(tx.objectStore(CHUNKS).getAllKeys(this.chunkRange(key)))
    return keys.map(k => (Array.isArray(k) ? k[1] : -1) as number)
  }
}

function checkIndex (manifest: Manifest, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= manifest.chunkCount) {
    throw new RangeError(`Chunk index ${index} is out of range 0..${manifest.chunkCount - 1} for content ${manifest.root.toString()}`)
  }
}
