import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { Bitfield, ContentMismatchError, InvalidContentIdError, InvalidManifestError, Manifest, StorageError } from '@codio-chunk/interface'
import type { ContentPaths } from './layout.js'
import { JournalWriter, readJournal } from './journal.js'
import type { JournalReplace } from './journal.js'
import type { HandleCache } from './handle-cache.js'
import type { BlockHasher } from './block-hasher.js'
import { checkStoredManifest } from './manifest-check.js'
import { errorCode, fsCall, storageError } from './storage-error.js'
import { syncDirectory, writeFully, writevFully } from './file-io.js'
import { ChunkWriter } from './chunk-writer.js'

/** When data and journal are fsynced. */
export type FsyncMode = 'always' | 'batch' | 'never'

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
  /** Chunks recorded since the last fsync (fsync mode `batch`). */
  unsynced: number
  /** A running flush, which later flush requests join. */
  flushing: Promise<void> | undefined
  /** The error of a batch sync that failed in the background, until a write or close reports it. */
  syncFailure: unknown
  /** Dropped from the storage's cache (evicted or deleted): reload before writing. */
  retired: boolean
}

/**
 * Creates a content's folder: the data file at full size (sparse where the file system allows), an
 * empty journal, then the manifest, written to a temporary file and renamed into place so a
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
  await fsCall('create the journal', paths.journal, async () => { await writeFile(paths.journal, new Uint8Array(0)) })
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

/**
 * Reads a content's state back from its folder, or undefined when it has no manifest. The
 * manifest is checked first (see {@link readStoredManifest}), unless `trusted` is given (the one
 * `putManifest` just wrote). Then: a torn journal record is cut off; a missing data file is
 * recreated (and the journal emptied, since no chunk survives without it); a data file shorter than
 * the content loses the chunks that reached past its end (dropped from the journal too); and the
 * data file is brought to the content's size.
 */
export async function loadContent (key: string, paths: ContentPaths, cache: HandleCache, fsync: FsyncMode, hasher: BlockHasher, trusted?: Manifest): Promise<ContentState | undefined> {
  const manifest = trusted ?? await readStoredManifest(key, paths, hasher)
  if (manifest === undefined) return undefined

  const dataSize = await fsCall('inspect the data file', paths.data, async () => {
    try {
      return (await stat(paths.data)).size
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return -1
      throw err
    }
  })
  if (dataSize === -1) {
    await fsCall('recreate the data file', paths.data, async () => {
      const handle = await open(paths.data, 'w')
      try { await handle.truncate(manifest.totalSize) } finally { await handle.close() }
    })
    await fsCall('reset the journal', paths.journal, async () => { await writeFile(paths.journal, new Uint8Array(0)) })
  } else if (dataSize !== manifest.totalSize) {
    await fsCall('resize the data file', paths.data, async () => {
      await cache.use(paths.data, async handle => { await handle.truncate(manifest.totalSize) })
    })
  }

  const journal = await fsCall('read the journal', paths.journal, async () => {
    try {
      return await cache.use(paths.journal, async handle => {
        const contents = await readJournal(handle, manifest.chunkCount)
        if (contents.validLength !== contents.fileLength) await handle.truncate(contents.validLength)
        return contents
      })
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err
      await writeFile(paths.journal, new Uint8Array(0))
      return undefined
    }
  })

  const sink = async (records: Uint8Array, position: number, sync: boolean): Promise<void> => {
    await fsCall('append to the journal', paths.journal, async () => {
      await cache.use(paths.journal, async handle => {
        await writeFully(handle, records, position)
        if (sync) await handle.datasync() // size and records; not timestamps
      })
    })
  }
  const replace: JournalReplace = async (records) => {
    await fsCall('rewrite the journal', paths.journalTemp, async () => {
      const handle = await open(paths.journalTemp, 'w')
      try {
        await writeFully(handle, records, 0)
        if (fsync !== 'never') await handle.sync()
      } finally {
        await handle.close()
      }
    })
    await fsCall('replace the journal', paths.journal, async () => { await rename(paths.journalTemp, paths.journal) })
    await cache.close(paths.journal) // its handle is of the file just replaced
    if (fsync !== 'never') await syncDirectory(paths.dir)
  }
  const have = journal?.have ?? new Bitfield(manifest.chunkCount)
  const recorded = have.clone()
  // Chunks reaching past the end of a data file cut short outside codio-chunk are gone.
  const lost = dataSize >= 0 && dataSize < manifest.totalSize ? chunksPast(manifest, have, dataSize) : []
  for (const index of lost) have.set(index, false)
  const writer = new ChunkWriter(async (parts, position) => {
    await fsCall('write', paths.data, async () => {
      await cache.use(paths.data, async handle => { await writevFully(handle.fd, parts, position) })
    })
  })
  const state: ContentState = {
    key,
    paths,
    manifest,
    have,
    verified: new Bitfield(manifest.chunkCount),
    journal: new JournalWriter(sink, journal?.validLength ?? 0, fsync === 'always', { recorded, replace }),
    writer,
    writes: new Map(),
    unsynced: 0,
    flushing: undefined,
    syncFailure: undefined,
    retired: false
  }
  if (lost.length > 0) await state.journal.remove(lost)
  return state
}

/** The chunks of `have` that do not lie wholly within the first `size` bytes. */
function chunksPast (manifest: Manifest, have: Bitfield, size: number): number[] {
  const out: number[] = []
  for (const index of have) {
    if (manifest.chunkOffset(index) + manifest.chunkLength(index) > size) out.push(index)
  }
  return out
}
