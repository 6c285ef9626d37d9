import { readdir, rm, stat } from 'node:fs/promises'
import { NotFoundError, StorageError, silentLogger, throwIfAborted } from '@codio-chunk/interface'
import type { AbortOptions, Bitfield, ContentId, Manifest, Storage, StorageComponents } from '@codio-chunk/interface'
import { contentKey, contentPaths, parseFolderName } from './layout.js'
import { HandleCache } from './handle-cache.js'
import { KeyLock } from './key-lock.js'
import { createContent } from './content-state.js'
import type { ContentState, FsyncMode } from './content-state.js'
import { loadContent } from './load-content.js'
import type { LoadInit } from './load-content.js'
import { Durability } from './durability.js'
import { streamContent } from './read-content.js'
import { errorCode, fsCall, storageError } from './storage-error.js'
import { BlockHasher } from './block-hasher.js'
import { ChunkReader } from './chunk-reader.js'
import { checkInit } from './options.js'
import type { FsStorageInit, FsStorageSettings } from './options.js'

/**
 * Storage on the local file system: chunks are written into place as they verify, in any order,
 * and a completion journal makes the content resumable after a crash. Content larger than memory
 * works: only manifests and completion bitfields are kept in memory, and `readContent` streams.
 *
 * One folder per content under `dir`, named by its CID string, holding `manifest`, `data` and the
 * `have` journal (see the package README). One process should own a directory at a time.
 *
 * Durability (`fsync`, default `'checkpoint'`): `putChunk` never waits for the disk; each content
 * is checkpointed in the background (data file fdatasynced, then a journal record saying the
 * chunks recorded before it are durable, fsynced) every 5 s and every 64 MiB written, and on
 * `close()`. A content opened after an unclean shutdown has the chunks recorded after its last
 * checkpoint hashed before `completed()` reports them, so a chunk whose bytes a power cut lost is
 * downloaded again rather than trusted; after a clean `close()` nothing is hashed at open.
 *
 * Nothing read back from disk is trusted. A stored manifest is checked against its content id when
 * the content is opened (its interior blocks must hash to their CIDs and give the stored chunk
 * CIDs and sizes). Each chunk is checked against its CID on its first read after the content is
 * opened, by `getChunk` and `readContent` alike (chunks `putChunk` wrote in this session count as
 * checked); one that fails is dropped for good (from `completed()` and from the journal) and the
 * read rejects with `NotFoundError`, so downloading the content again repairs it.
 *
 * Errors: a missing manifest or chunk, or a chunk that failed verification, rejects with
 * `NotFoundError`; a chunk index out of range or data of the wrong length with `RangeError`; a
 * corrupt manifest and file-system failures with `StorageError` naming the path and what to do; a
 * chunk hashed with a function the storage has no verifier for with `UnsupportedHashError`; an
 * aborted signal with `AbortError`.
 *
 * `fsStorage(init)` checks the options and returns the factory a node takes (`storage:
 * fsStorage({ dir })`); the node calls it with its components: its chunk buffer pool, which
 * `getChunk` reads into, its verifiers, which check what is read back (SHA-256 needs none:
 * `node:crypto` computes it), and its logger (`codio-chunk:storage-fs`, which reports dropped
 * chunks). Outside a node, call it yourself: `fsStorage({ dir })()`.
 *
 * @example
 * ```ts
 * import { fsStorage } from '@codio-chunk/storage-fs'
 * import { buildManifest } from '@codio-chunk/content'
 * const bytes = new TextEncoder().encode('hello world\n')
 * const manifest = await buildManifest(bytes, { chunkSize: 256 * 1024 })
 * const storage = fsStorage({ dir: './codio-data' })()
 * await storage.putManifest(manifest)
 * await storage.putChunk(manifest.root, 0, bytes)
 * for await (const part of storage.readContent!(manifest.root)) process.stdout.write(part)
 * await storage.close()
 * ```
 */
export function fsStorage (init: FsStorageInit): (components?: Partial<StorageComponents>) => Storage {
  const settings = checkInit(init)
  return (components = {}) => new FsStorage(settings, components)
}

class FsStorage implements Storage {
  readonly name = 'fs'
  /** `putChunk` has written the bytes to the data file when it resolves and keeps no reference. */
  readonly copiesOnPut = true
  /** `getChunk` reads into a new buffer (from the node's chunk buffer pool) and keeps no reference. */
  readonly ownedReads = true
  private readonly dir: string
  private readonly fsync: FsyncMode
  private readonly maxCachedContents: number
  private readonly cache: HandleCache
  private readonly lock = new KeyLock()
  /** Loaded contents, least recently used first. */
  private readonly states = new Map<string, ContentState>()
  private readonly loading = new Map<string, Promise<ContentState | undefined>>()
  private closed = false
  /** Checks stored manifests and chunks against their CIDs, with the node's verifiers. */
  private readonly hasher: BlockHasher
  /** Reads chunks (into the node's buffer pool) and checks each on its first read. */
  private readonly reader: ChunkReader
  /** Makes recorded chunks durable: checkpoints, batch syncs or per-chunk syncs, by mode. */
  private readonly durability: Durability
  /** What opening a content needs. */
  private readonly loadInit: LoadInit

  constructor (settings: FsStorageSettings, components: Partial<StorageComponents>) {
    this.dir = settings.dir
    this.fsync = settings.fsync
    this.maxCachedContents = settings.maxCachedContents
    this.cache = new HandleCache(settings.maxOpenFiles)
    this.hasher = new BlockHasher(components.verifiers ?? [])
    const log = components.logger?.('codio-chunk:storage-fs') ?? silentLogger
    this.reader = new ChunkReader({ cache: this.cache, hasher: this.hasher, buffers: components.buffers, log, isOpen: () => !this.closed })
    this.durability = new Durability(settings, this.cache)
    this.loadInit = { cache: this.cache, fsync: settings.fsync, hasher: this.hasher, log, onRecovery: settings.onRecovery }
  }

  async putManifest (manifest: Manifest, options?: AbortOptions): Promise<void> {
    this.check(options)
    const key = contentKey(manifest.root)
    await this.lock.run(key, async () => {
      if (await this.state(key) !== undefined) return
      throwIfAborted(options?.signal, 'storage operation')
      const paths = contentPaths(this.dir, key)
      // A handle left from a deleted copy of this content would point at its unlinked files.
      await this.cache.closeUnder(paths.dir)
      await createContent(paths, manifest, this.fsync)
      // The manifest just written is the caller's (a verified one): open it without checking it again.
      await this.state(key, manifest)
    })
  }

  async getManifest (root: ContentId, options?: AbortOptions): Promise<Manifest | undefined> {
    this.check(options)
    return (await this.state(contentKey(root)))?.manifest
  }

  async putChunk (root: ContentId, index: number, data: Uint8Array, options?: AbortOptions): Promise<void> {
    this.check(options)
    let state = this.loadedState(root) ?? await this.requireState(root)
    // A state forgotten by the cache meanwhile must not take writes: a reloaded copy of the same
    // content would append to the same journal (from here to `writes.set` nothing yields).
    while (state.retired) state = await this.requireState(root)
    checkChunk(state, index)
    const expected = state.manifest.chunkLength(index)
    if (data.byteLength !== expected) {
      throw new RangeError(`Chunk ${index} of content ${state.key} is ${expected} bytes, got ${data.byteLength}`)
    }
    if (state.have.get(index)) return
    const running = state.writes.get(index)
    if (running !== undefined) return await running
    throwIfAborted(options?.signal, 'storage operation')
    const write = this.writeChunk(state, index, data).finally(() => { state.writes.delete(index) })
    state.writes.set(index, write)
    await write
  }

  async getChunk (root: ContentId, index: number, options?: AbortOptions): Promise<Uint8Array> {
    this.check(options)
    const state = this.loadedState(root) ?? await this.requireState(root)
    checkChunk(state, index)
    return await this.reader.read(state, index, options?.signal)
  }

  async completed (root: ContentId, options?: AbortOptions): Promise<Bitfield | undefined> {
    this.check(options)
    return (await this.state(contentKey(root)))?.have.clone()
  }

  async list (options?: AbortOptions): Promise<ContentId[]> {
    this.check(options)
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return []
      throw storageError(err, 'list', this.dir)
    }
    const found = await Promise.all(names.map(async name => {
      const id = parseFolderName(name)
      if (id === undefined) return undefined
      const paths = contentPaths(this.dir, name)
      try {
        return (await stat(paths.manifest)).isFile() ? id : undefined
      } catch {
        return undefined
      }
    }))
    return found.filter((id): id is ContentId => id !== undefined)
  }

  async delete (root: ContentId, options?: AbortOptions): Promise<void> {
    this.check(options)
    const key = contentKey(root)
    await this.lock.run(key, async () => {
      this.loading.delete(key)
      const state = this.states.get(key)
      if (state !== undefined) {
        state.retired = true
        this.durability.disarm(state)
      }
      this.states.delete(key)
      const paths = contentPaths(this.dir, key)
      await this.cache.closeUnder(paths.dir)
      await fsCall('delete', paths.dir, async () => { await rm(paths.dir, { recursive: true, force: true }) })
      await this.cache.closeUnder(paths.dir) // anything reopened by a read that raced the removal
    })
  }

  async * readContent (root: ContentId, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    this.check(options)
    const state = await this.requireState(root)
    const missing = state.manifest.chunkCount - state.have.count
    if (missing > 0) {
      throw new NotFoundError(`Content ${state.key} is missing ${missing} of ${state.manifest.chunkCount} chunks: finish downloading it before reading it`)
    }
    const verify = async (first: number, count: number, bytes: Uint8Array): Promise<boolean> => await this.reader.verifyRun(state, first, count, bytes, options?.signal)
    yield * streamContent(state, this.cache, verify, options)
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.lock.idle()
    await Promise.allSettled([...this.loading.values()])
    const states = [...this.states.values()]
    await Promise.allSettled(states.flatMap(state => [...state.writes.values()]))
    const flushed = await Promise.allSettled(states.map(async state => { await this.durability.close(state) }))
    await this.reader.settle()
    await Promise.all(states.map(async state => { await state.journal.idle() }))
    await this.cache.closeAll()
    this.states.clear()
    const failed = flushed.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  private check (options?: AbortOptions): void {
    if (this.closed) throw new StorageError(`The fs storage at ${this.dir} was closed; create a new one with fsStorage({ dir })`)
    throwIfAborted(options?.signal, 'storage operation')
  }

  private async writeChunk (state: ContentState, index: number, data: Uint8Array): Promise<void> {
    await state.writer.write(data, state.manifest.chunkOffset(index))
    await this.durability.beforeRecord(state)
    await state.journal.append(index)
    state.have.set(index)
    state.verified.set(index) // the engine verified it before handing it over
    await this.durability.recorded(state, data.byteLength)
  }

  /** The state of a content already in memory (no disk access), or undefined. */
  private loadedState (root: ContentId): ContentState | undefined {
    const key = root.toString()
    const state = this.states.get(key)
    if (state === undefined) return undefined
    // Map order is the recency order of the cache.
    this.states.delete(key)
    this.states.set(key, state)
    return state
  }

  private async requireState (root: ContentId): Promise<ContentState> {
    const state = await this.state(contentKey(root))
    if (state === undefined) {
      throw new NotFoundError(`Content ${root.toString()} is not in storage: store its manifest with putManifest() first`)
    }
    return state
  }

  /**
   * The loaded state of a content, loading it from disk on first use; undefined without a manifest.
   * `trusted` is a manifest known to be the content's (`putManifest`'s): loading then skips reading
   * and checking the stored one.
   */
  private async state (key: string, trusted?: Manifest): Promise<ContentState | undefined> {
    const cached = this.states.get(key)
    if (cached !== undefined) {
      this.states.delete(key)
      this.states.set(key, cached)
      return cached
    }
    let loading = this.loading.get(key)
    if (loading === undefined) {
      const load: Promise<ContentState | undefined> = loadContent(key, contentPaths(this.dir, key), this.loadInit, trusted)
        .then(state => {
          // A delete that ran meanwhile removed this load from `loading`: its result is stale.
          if (this.loading.get(key) === load && state !== undefined) {
            this.states.set(key, state)
            this.evictStates(key)
          }
          return state
        })
        .finally(() => { if (this.loading.get(key) === load) this.loading.delete(key) })
      loading = load
      this.loading.set(key, loading)
    }
    return await loading
  }

  /** Forgets idle, fully synced contents beyond `maxCachedContents` (they reload from disk), never `keep`. */
  private evictStates (keep: string): void {
    if (this.states.size <= this.maxCachedContents) return
    for (const [key, state] of this.states) {
      if (this.states.size <= this.maxCachedContents) break
      if (key !== keep && state.writes.size === 0 && state.unsynced === 0 && state.flushing === undefined && !state.journal.busy) {
        state.retired = true
        this.states.delete(key)
      }
    }
  }
}

function checkChunk (state: ContentState, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= state.manifest.chunkCount) {
    throw new RangeError(`Chunk index ${index} is out of range 0..${state.manifest.chunkCount - 1} for content ${state.key}`)
  }
}
