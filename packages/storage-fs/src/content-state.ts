import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { Bitfield, Manifest, StorageError } from '@codio-chunk/interface'
import type { ContentPaths } from './layout.js'
import { JournalWriter, readJournal } from './journal.js'
import type { HandleCache } from './handle-cache.js'
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
 * Reads a content's state back from its folder, or undefined when it has no manifest. A torn
 * journal record is cut off; a missing data file is recreated (and the journal emptied, since no
 * chunk survives without it).
 */
export async function loadContent (key: string, paths: ContentPaths, cache: HandleCache, fsync: FsyncMode): Promise<ContentState | undefined> {
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
  const have = journal?.have ?? new Bitfield(manifest.chunkCount)
  const writer = new ChunkWriter(async (parts, position) => {
    await fsCall('write', paths.data, async () => {
      await cache.use(paths.data, async handle => { await writevFully(handle.fd, parts, position) })
    })
  })
  return {
    key,
    paths,
    manifest,
    have,
    journal: new JournalWriter(sink, journal?.validLength ?? 0, fsync === 'always'),
    writer,
    writes: new Map(),
    unsynced: 0,
    flushing: undefined,
    syncFailure: undefined,
    retired: false
  }
}
