import { resolve } from 'node:path'
import { InvalidConfigError } from '@codio-chunk/interface'
import type { FsyncMode } from './content-state.js'
import { systemCheckpointClock } from './durability.js'
import type { CheckpointClock } from './durability.js'
import type { RecoveryReport } from './load-content.js'

/** Mode `'checkpoint'`'s default `checkpointBytes`: 1 GiB. */
const DEFAULT_CHECKPOINT_BYTES = 1024 * 1024 * 1024

/** Options of `fsStorage`. */
export interface FsStorageInit {
  /** The directory that holds one folder per content. Created when the first content is stored. */
  dir: string
  /**
   * When writes are made durable (see the package README for what each survives):
   * - `'checkpoint'` (default): no fsync on the write path. In the background, each content is
   *   checkpointed every `checkpointInterval` ms and every `checkpointBytes` written: the data file
   *   is fdatasynced, then a journal record says the chunks recorded before it are durable, and is
   *   fsynced. After an unclean shutdown only the chunks recorded after the last checkpoint are
   *   hashed again (when the content is opened) before they count as stored;
   * - `'always'`: each chunk's data is fsynced before its journal record is appended, and the
   *   record is fsynced before `putChunk` resolves (slowest);
   * - `'batch'`: a checkpoint every `syncEvery` chunks of a content, in the background, the write
   *   completing the next batch waiting for a running one;
   * - `'never'`: the operating system decides; the journal is trusted as found (for caches that
   *   can be fetched again).
   */
  fsync?: FsyncMode
  /** Mode `'checkpoint'`: most milliseconds between a chunk's record and the checkpoint that covers it. Default 5000. */
  checkpointInterval?: number
  /**
   * Mode `'checkpoint'`: bytes of chunks written since the last checkpoint that start the next one
   * early. Default 1 GiB: what an unclean shutdown can leave to hash again (about a second), while
   * each checkpoint makes the kernel write the data back at once, which the download pays for in
   * CPU (see the package README).
   */
  checkpointBytes?: number
  /** Chunks per checkpoint in mode `'batch'`. Default 64 (16 MiB of 256 KiB chunks). */
  syncEvery?: number
  /** Open file handles kept for reuse (least recently used closed first). Default 32. */
  maxOpenFiles?: number
  /** Contents whose manifest and completion bitfield stay in memory when idle. Default 256. */
  maxCachedContents?: number
  /**
   * Called when a content is opened that was not closed cleanly, with what was checked and
   * dropped (the same is logged under `codio-chunk:storage-fs`).
   */
  onRecovery?: (report: RecoveryReport) => void
  /** The timers checkpoints are scheduled with (tests pass a fake one). Default: global timers, unref'd. */
  clock?: CheckpointClock
}

function positiveInteger (value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidConfigError(`fsStorage ${name} must be a positive integer, got ${value}`)
  return value
}

const MODES: readonly FsyncMode[] = ['checkpoint', 'always', 'batch', 'never']

/** The options of `fsStorage`, checked, with defaults filled in. */
export interface FsStorageSettings {
  dir: string
  fsync: FsyncMode
  syncEvery: number
  checkpointInterval: number
  checkpointBytes: number
  maxCachedContents: number
  maxOpenFiles: number
  onRecovery?: (report: RecoveryReport) => void
  clock: CheckpointClock
}

/** Checks `fsStorage`'s options (InvalidConfigError naming the bad one) and fills in the defaults. */
export function checkInit (init: FsStorageInit): FsStorageSettings {
  if (typeof init?.dir !== 'string' || init.dir.length === 0) {
    throw new InvalidConfigError('fsStorage needs a directory: fsStorage({ dir: \'./codio-data\' })')
  }
  const fsync = init.fsync ?? 'checkpoint'
  if (!MODES.includes(fsync)) {
    throw new InvalidConfigError(`fsStorage fsync must be 'checkpoint', 'always', 'batch' or 'never', got ${String(fsync)}`)
  }
  if (init.onRecovery !== undefined && typeof init.onRecovery !== 'function') throw new InvalidConfigError('fsStorage onRecovery must be a function')
  const clock = init.clock ?? systemCheckpointClock
  if (typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    throw new InvalidConfigError('fsStorage clock must have setTimeout(fn, ms) and clearTimeout(handle)')
  }
  return {
    dir: resolve(init.dir),
    fsync,
    syncEvery: positiveInteger(init.syncEvery, 64, 'syncEvery'),
    checkpointInterval: positiveInteger(init.checkpointInterval, 5000, 'checkpointInterval'),
    checkpointBytes: positiveInteger(init.checkpointBytes, DEFAULT_CHECKPOINT_BYTES, 'checkpointBytes'),
    maxCachedContents: positiveInteger(init.maxCachedContents, 256, 'maxCachedContents'),
    maxOpenFiles: positiveInteger(init.maxOpenFiles, 32, 'maxOpenFiles'),
    onRecovery: init.onRecovery,
    clock
  }
}
