import { open, rename, stat } from 'node:fs/promises'
import { Bitfield } from '@codio-chunk/interface'
import type { Logger, Manifest } from '@codio-chunk/interface'
import type { ContentPaths } from './layout.js'
import type { HandleCache } from './handle-cache.js'
import type { BlockHasher } from './block-hasher.js'
import { JournalWriter } from './journal.js'
import type { JournalIo } from './journal.js'
import { JournalCodec } from './journal-format.js'
import { readJournal } from './journal-reader.js'
import type { JournalContents } from './journal-reader.js'
import { readStoredManifest } from './content-state.js'
import type { ContentState, FsyncMode } from './content-state.js'
import { recheckChunks } from './recheck.js'
import { errorCode, fsCall } from './storage-error.js'
import { syncDirectory, writeFully, writevFully } from './file-io.js'
import { ChunkWriter } from './chunk-writer.js'

/**
 * What opening a content found when it had not been closed cleanly (`FsStorageInit.onRecovery`).
 */
export interface RecoveryReport {
  /** The content id (CID string). */
  readonly content: string
  /**
   * Chunks the journal recorded after its last checkpoint, hashed against their CIDs before the
   * content was handed out (none in fsync mode `never`, which trusts the journal as it is).
   */
  readonly rechecked: number
  /** Of those, the ones that did not match (their data never reached the disk) and were dropped. */
  readonly dropped: number
  /** Recorded chunks dropped because the data file ended before them. */
  readonly truncated: number
  /** Bytes cut off the journal's end: a torn or damaged last record, or a damaged header. */
  readonly journalBytesCut: number
}

/** What {@link loadContent} works with. */
export interface LoadInit {
  readonly cache: HandleCache
  readonly fsync: FsyncMode
  readonly hasher: BlockHasher
  readonly log: Logger
  readonly onRecovery?: (report: RecoveryReport) => void
}

/**
 * Reads a content's state back from its folder, or undefined when it has no manifest. The
 * manifest is checked first (see `readStoredManifest`), unless `trusted` is given (the one
 * `putManifest` just wrote). Then the journal is read up to its last intact record (a torn or
 * damaged tail is cut off); a missing data file is recreated (no chunk survives without it); a
 * data file shorter than the content loses the chunks that reached past its end; and the data
 * file is brought to the content's size.
 *
 * In the modes that make chunks durable (all but `never`), chunks the journal records after its
 * last checkpoint, whose data may not have reached the disk before an unclean shutdown, are hashed
 * now: those that fail are dropped, so `completed()` never reports a chunk whose bytes are lost and
 * a resumed download fetches it again. The journal is then rewritten, after the data file is
 * fdatasynced, with a checkpoint covering every chunk it keeps (so the next unclean shutdown does
 * not check them again). A journal of the earlier format is rewritten the same way.
 */
export async function loadContent (key: string, paths: ContentPaths, init: LoadInit, trusted?: Manifest): Promise<ContentState | undefined> {
  const { cache, fsync, hasher } = init
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
  } else if (dataSize !== manifest.totalSize) {
    await fsCall('resize the data file', paths.data, async () => {
      await cache.use(paths.data, async handle => { await handle.truncate(manifest.totalSize) })
    })
  }

  // Without its data file no recorded chunk survives: the journal starts again.
  const journal = dataSize === -1 ? noJournal(manifest.chunkCount) : await readJournalFile(paths, cache, manifest.chunkCount)
  const have = journal.have
  const recorded = have.clone()
  // Chunks reaching past the end of a data file cut short outside codio-chunk (or by a power cut
  // before its size was synced) are gone.
  const lost = dataSize >= 0 && dataSize < manifest.totalSize ? chunksPast(manifest, have, dataSize) : []
  for (const index of lost) have.set(index, false)

  const verified = new Bitfield(manifest.chunkCount)
  const unconfirmed = fsync === 'never' ? [] : journal.unconfirmed.filter(index => have.get(index))
  const bad = unconfirmed.length === 0 ? [] : await recheckChunks({ manifest, dataPath: paths.data, cache, hasher, key }, unconfirmed)
  for (const index of bad) have.set(index, false)
  for (const index of unconfirmed) if (have.get(index)) verified.set(index) // just hashed

  const state: ContentState = {
    key,
    paths,
    manifest,
    have,
    verified,
    journal: new JournalWriter(journalIo(paths, cache, fsync), {
      codec: journal.codec ?? JournalCodec.create(),
      records: journal.records,
      syncEach: fsync === 'always',
      recorded
    }),
    writer: new ChunkWriter(async (parts, position) => {
      await fsCall('write', paths.data, async () => {
        await cache.use(paths.data, async handle => { await writevFully(handle.fd, parts, position) })
      })
    }),
    writes: new Map(),
    unsynced: 0,
    unsyncedBytes: 0,
    wroteSinceOpen: false,
    flushing: undefined,
    syncFailure: undefined,
    timer: undefined,
    checkpointDue: false,
    retired: false
  }
  // One rewrite does it all: drops, a journal to convert or start again, coverage for the rechecked.
  if (journal.format !== 'current' || lost.length > 0 || unconfirmed.length > 0) await state.journal.remove([...lost, ...bad])

  const journalBytesCut = journal.fileLength - journal.validLength
  const unclean = !journal.closedCleanly && (journal.records > 0 || journalBytesCut > 0 || journal.format === 'legacy')
  if (unclean || lost.length > 0) {
    const report: RecoveryReport = { content: key, rechecked: unconfirmed.length, dropped: bad.length, truncated: lost.length, journalBytesCut }
    init.log('%s was not closed cleanly: rechecked %d chunks recorded after its last checkpoint, dropped %d that failed and %d past the end of its data file; cut %d bytes off its journal',
      key, report.rechecked, report.dropped, report.truncated, report.journalBytesCut)
    init.onRecovery?.(report)
  }
  return state
}

/** The journal as read back, with a torn or damaged tail of a current-format journal cut off. */
async function readJournalFile (paths: ContentPaths, cache: HandleCache, chunkCount: number): Promise<JournalContents> {
  return await fsCall('read the journal', paths.journal, async () => {
    try {
      return await cache.use(paths.journal, async handle => {
        const contents = await readJournal(handle, chunkCount)
        // Appends go right after the last intact record. (A journal of another format is replaced whole.)
        if (contents.format === 'current' && contents.validLength !== contents.fileLength) await handle.truncate(contents.validLength)
        return contents
      })
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err
      return noJournal(chunkCount)
    }
  })
}

function noJournal (chunkCount: number): JournalContents {
  return { format: 'none', have: new Bitfield(chunkCount), unconfirmed: [], closedCleanly: false, records: 0, validLength: 0, fileLength: 0 }
}

/** The journal's file operations, through the handle cache. */
function journalIo (paths: ContentPaths, cache: HandleCache, fsync: FsyncMode): JournalIo {
  const syncing = fsync !== 'never'
  return {
    write: async (bytes, position, sync) => {
      await fsCall('append to the journal', paths.journal, async () => {
        await cache.use(paths.journal, async handle => {
          await writeFully(handle, bytes, position)
          if (sync) await handle.datasync() // size and records; not timestamps
        })
      })
    },
    sync: async () => {
      await fsCall('sync', paths.journal, async () => { await cache.use(paths.journal, async handle => { await handle.datasync() }) })
    },
    replace: async (bytes) => {
      await fsCall('rewrite the journal', paths.journalTemp, async () => {
        const handle = await open(paths.journalTemp, 'w')
        try {
          await writeFully(handle, bytes, 0)
          if (syncing) await handle.sync()
        } finally {
          await handle.close()
        }
      })
      await fsCall('replace the journal', paths.journal, async () => { await rename(paths.journalTemp, paths.journal) })
      await cache.close(paths.journal) // its handle is of the file just replaced
      if (syncing) await syncDirectory(paths.dir)
    },
    syncData: syncing
      ? async () => { await fsCall('sync', paths.data, async () => { await cache.use(paths.data, async handle => { await handle.datasync() }) }) }
      : undefined
  }
}

/** The chunks of `have` that do not lie wholly within the first `size` bytes. */
function chunksPast (manifest: Manifest, have: Bitfield, size: number): number[] {
  const out: number[] = []
  for (const index of have) {
    if (manifest.chunkOffset(index) + manifest.chunkLength(index) > size) out.push(index)
  }
  return out
}
