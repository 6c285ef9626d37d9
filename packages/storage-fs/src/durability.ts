import type { ContentState, FsyncMode } from './content-state.js'
import type { HandleCache } from './handle-cache.js'
import { fsCall } from './storage-error.js'

/**
 * The timers checkpoints are scheduled with. The default is the global `setTimeout` with its
 * timer unref'd (a pending checkpoint never keeps a process alive: `close()` takes the last one);
 * tests pass a fake one to step time.
 */
export interface CheckpointClock {
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

/** Global timers, unref'd. */
export const systemCheckpointClock: CheckpointClock = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms)
    handle.unref()
    return handle
  },
  clearTimeout: (handle) => { clearTimeout(handle as ReturnType<typeof setTimeout>) }
}

/** When {@link Durability} makes recorded chunks durable. */
export interface DurabilitySettings {
  readonly fsync: FsyncMode
  /** Chunks per checkpoint in mode `batch`. */
  readonly syncEvery: number
  /** Mode `checkpoint`: most milliseconds between a chunk's record and the checkpoint that starts to cover it. */
  readonly checkpointInterval: number
  /** Mode `checkpoint`: bytes of chunks recorded that start a checkpoint before the interval is up. */
  readonly checkpointBytes: number
  readonly clock: CheckpointClock
}

/**
 * Makes recorded chunks durable by checkpoints, per content: fdatasync the data file, then append
 * a checkpoint record covering every record written before the data sync started, then fdatasync
 * the journal. One checkpoint runs at a time per content.
 *
 * - `checkpoint`: nothing on the write path waits for the disk. A checkpoint starts in the
 *   background once `checkpointBytes` of chunks were recorded since the last one started, or
 *   `checkpointInterval` ms after the first chunk recorded since then, whichever comes first
 *   (one that comes due while another runs starts when it ends). A failed checkpoint is reported
 *   by the content's next write, or by `close()`, and its chunks are covered by the next one.
 * - `batch`: a checkpoint every `syncEvery` chunks, in the background; the write that completes
 *   the next batch while one still runs waits for it (a disk slower than the network slows the
 *   writers down) and reports its failure.
 * - `always`: each chunk's data is fdatasynced before its record is appended (the journal covers
 *   each appended batch itself).
 * - `never`: no fsync, no checkpoint.
 *
 * In every mode but `never`, `close()` ends each content written since it was opened with a
 * close record: a checkpoint saying the storage shut down cleanly.
 *
 * @example
 * ```ts
 * const durability = new Durability({ fsync: 'checkpoint', syncEvery: 64, checkpointInterval: 5000, checkpointBytes: 1 << 30, clock: systemCheckpointClock }, cache)
 * await durability.beforeRecord(state)           // 'always': the chunk's data is synced
 * await state.journal.append(index)
 * await durability.recorded(state, data.length)  // may start a checkpoint in the background
 * await durability.close(state)                  // the last checkpoint, as a close record
 * ```
 */
export class Durability {
  private readonly settings: DurabilitySettings
  private readonly cache: HandleCache

  constructor (settings: DurabilitySettings, cache: HandleCache) {
    this.settings = settings
    this.cache = cache
  }

  /** Runs between a chunk's data write and its record: mode `always` syncs the data. */
  async beforeRecord (state: ContentState): Promise<void> {
    if (this.settings.fsync === 'always') await this.syncData(state)
  }

  /** Called once a chunk of `bytes` is recorded in the journal. */
  async recorded (state: ContentState, bytes: number): Promise<void> {
    const { fsync } = this.settings
    if (fsync === 'never') return
    state.wroteSinceOpen = true
    if (fsync === 'batch') {
      if (++state.unsynced >= this.settings.syncEvery) await this.startBatch(state)
    } else if (fsync === 'checkpoint') {
      state.unsynced++
      state.unsyncedBytes += bytes
      const failure = takeSyncFailure(state)
      if (failure !== undefined) throw failure
      if (state.flushing !== undefined) return // what is due starts when the running one ends
      if (state.unsyncedBytes >= this.settings.checkpointBytes) this.startInBackground(state)
      else this.arm(state)
    }
  }

  /**
   * On `close()`: makes every chunk recorded so far durable, waiting for a running checkpoint
   * first, with a close record if anything was recorded since the content was opened. Reports a
   * failure of an earlier background checkpoint even if this one succeeds: the kernel may have
   * dropped the pages it could not write.
   */
  async close (state: ContentState): Promise<void> {
    this.disarm(state)
    if (this.settings.fsync === 'never') return
    while (state.flushing !== undefined) await state.flushing.catch(() => {})
    this.disarm(state)
    const earlier = takeSyncFailure(state)
    if (state.unsynced > 0 || state.wroteSinceOpen) await this.checkpoint(state, 'close')
    state.wroteSinceOpen = false
    if (earlier !== undefined) throw earlier
  }

  /** Stops the content's checkpoint timer (the content leaves the cache, or the storage closes). */
  disarm (state: ContentState): void {
    if (state.timer === undefined) return
    this.settings.clock.clearTimeout(state.timer)
    state.timer = undefined
  }

  /**
   * Batch mode: one batch sync at a time; a write completing the next batch while one runs waits
   * for it, and reports its failure.
   */
  private async startBatch (state: ContentState): Promise<void> {
    if (state.flushing !== undefined) await state.flushing.catch(() => {})
    const failure = takeSyncFailure(state)
    if (failure !== undefined) throw failure
    if (state.unsynced < this.settings.syncEvery || state.flushing !== undefined) return
    this.startInBackground(state)
  }

  private startInBackground (state: ContentState): void {
    this.checkpoint(state, 'checkpoint').catch((err: unknown) => { state.syncFailure ??= err })
  }

  /** Arms the time-driven checkpoint of a content with unsynced chunks, if it is not armed. */
  private arm (state: ContentState): void {
    if (state.timer !== undefined || state.unsynced === 0 || state.retired) return
    state.timer = this.settings.clock.setTimeout(() => {
      state.timer = undefined
      if (state.retired || state.unsynced === 0) return
      if (state.flushing !== undefined) state.checkpointDue = true
      else this.startInBackground(state)
    }, this.settings.checkpointInterval)
  }

  /** Data first, then a record covering what was recorded before the data sync; one at a time. */
  private async checkpoint (state: ContentState, kind: 'checkpoint' | 'close'): Promise<void> {
    const count = state.unsynced
    const bytes = state.unsyncedBytes
    state.unsynced = 0
    state.unsyncedBytes = 0
    state.checkpointDue = false
    this.disarm(state)
    // Every chunk whose record is written by now had its data written before: the data sync
    // below covers it.
    const mark = state.journal.mark()
    let failed = false
    state.flushing = (async () => {
      await this.syncData(state)
      await state.journal.checkpoint(mark, kind)
    })().catch((err: unknown) => {
      // Not durable: the next checkpoint covers these chunks.
      failed = true
      state.unsynced += count
      state.unsyncedBytes += bytes
      throw err
    }).finally(() => {
      state.flushing = undefined
      if (kind === 'checkpoint') this.next(state, failed)
    })
    await state.flushing
  }

  /**
   * Mode `checkpoint`, after a checkpoint: start the next if one came due meanwhile, else arm the
   * timer. After a failure, the retry waits for the timer (the error waits for a write or close).
   */
  private next (state: ContentState, failed: boolean): void {
    if (this.settings.fsync !== 'checkpoint' || state.retired || state.unsynced === 0) return
    if (!failed && (state.checkpointDue || state.unsyncedBytes >= this.settings.checkpointBytes)) this.startInBackground(state)
    else this.arm(state)
  }

  /** fdatasync: the data and what reading it back needs (block allocation, size), not timestamps. */
  private async syncData (state: ContentState): Promise<void> {
    const path = state.paths.data
    await fsCall('sync', path, async () => { await this.cache.use(path, async handle => { await handle.datasync() }) })
  }
}

/** The error of a checkpoint that failed in the background, if any; each one is handed out once. */
export function takeSyncFailure (state: ContentState): unknown {
  const failure = state.syncFailure
  state.syncFailure = undefined
  return failure
}
