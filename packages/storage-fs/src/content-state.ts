import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises'
import { ContentMismatchError, InvalidContentIdError, InvalidManifestError, Manifest, StorageError } from '@codio-chunk/interface'
import type { Bitfield } from '@codio-chunk/interface'
import type { ContentPaths } from './layout.js'
import type { JournalWriter } from './journal.js'
import { JournalCodec } from './journal-format.js'
import type { BlockHasher } from './block-hasher.js'
import { checkStoredManifest } from './manifest-check.js'
import { errorCode, fsCall, storageError } from './storage-error.js'
import { syncDirectory, writeFully } from './file-io.js'
import type { ChunkWriter } from './chunk-writer.js'

/** When data and journal are fsynced (see `FsStorageInit.fsync`). */
export type FsyncMode = 'checkpoint' | 'always' | 'batch' | 'never'

/** The in-memory state of one stored content: its manifest and which chunks are complete. */
export interface ContentState {
  readonly key: string
  readonly paths: ContentPaths
  readonly manifest: Manifest
  readonly have: Bitfield
  /**
   * Chunks known to hash to their CIDs since the content was opened: checked on their first read,
   * or written by `putChunk` in this session (the engine verified them). A chunk in `have` but not
   * here is checked before its bytes leave the storage.
   */
  readonly verified: Bitfield
  readonly journal: JournalWriter
  /** Writes chunk data into the data file, a few writes in flight (see {@link ChunkWriter}). */
  readonly writer: ChunkWriter
  /** Chunk writes in progress, by index (a second put of the same chunk waits for the first). */
  readonly writes: Map<number, Promise<void>>
  /** Chunks recorded since the last checkpoint started (modes `batch` and `checkpoint`). */
  unsynced: number
  /** Bytes of those chunks (mode `checkpoint`). */
  unsyncedBytes: number
  /** A chunk was recorded since the content was opened: `close()` then writes a close record. */
  wroteSinceOpen: boolean
  /** A running checkpoint, which later flush requests wait for. */
  flushing: Promise<void> | undefined
  /** The error of a checkpoint that failed in the background, until a write or close reports it. */
  syncFailure: unknown
  /** The timer of the next time-driven checkpoint (mode `checkpoint`), while one is armed. */
  timer: unknown
  /** The timer fired while a checkpoint was running: take another as soon as it ends. */
  checkpointDue: boolean
  /** Dropped from the storage's cache (evicted or deleted): reload before writing. */
  retired: boolean
}

/**
 * Creates a content's folder: the data file at full size (sparse where the file system allows), a
 * journal holding only its header, then the manifest, written to a temporary file and renamed into place so a
 * content is only ever seen with a whole manifest.
 */
export async function createContent (paths: ContentPaths, manifest: Manifest, fsync: FsyncMode): Promise<void> {
  await fsCall('create the content folder', paths.dir, async () => { await mkdir(paths.dir, { recursive: true }) })
  await fsCall('create the data file', paths.data, async () => {
    const handle = await open(paths.data, 'w')
    try {
      await handle.truncate(manifest.totalSize)
    } finally {
      await handle.close()
    }
  })
  await fsCall('create the journal', paths.journal, async () => { await writeFile(paths.journal, JournalCodec.create().header()) })
  await fsCall('write the manifest', paths.manifestTemp, async () => {
    const handle = await open(paths.manifestTemp, 'w')
    try {
      await writeFully(handle, manifest.toBytes(), 0)
      if (fsync !== 'never') await handle.sync()
    } finally {
      await handle.close()
    }
  })
  await fsCall('rename the manifest into place', paths.manifest, async () => { await rename(paths.manifestTemp, paths.manifest) })
  if (fsync !== 'never') await syncDirectory(paths.dir)
}

/**
 * Reads a content's stored manifest and checks it against the content id `key` (see
 * {@link checkStoredManifest}), or undefined when it has none. A corrupt manifest is a
 * `StorageError` naming the file and saying what to do, with the `InvalidManifestError` (or
 * `ContentMismatchError`) as its cause; a hash the storage cannot compute stays an
 * `UnsupportedHashError`.
 */
export async function readStoredManifest (key: string, paths: ContentPaths, hasher: BlockHasher): Promise<Manifest | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(paths.manifest)
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return undefined
    throw storageError(err, 'read the manifest', paths.manifest)
  }
  let manifest: Manifest
  try {
    manifest = Manifest.fromBytes(bytes)
  } catch (err) {
    throw new StorageError(`The manifest at ${paths.manifest} is corrupt: delete the content and add it again`, { cause: err })
  }
  if (manifest.root.toString() !== key) {
    throw new StorageError(`The manifest at ${paths.manifest} belongs to ${manifest.root.toString()}, not ${key}: delete the folder and add the content again`)
  }
  try {
    await checkStoredManifest(manifest, hasher)
  } catch (err) {
    if (err instanceof InvalidManifestError || err instanceof ContentMismatchError || err instanceof InvalidContentIdError) {
      throw new StorageError(`The manifest at ${paths.manifest} is corrupt (${err.message}): delete the content and add it again`, { cause: err })
    }
    throw err
  }
  return manifest
}
