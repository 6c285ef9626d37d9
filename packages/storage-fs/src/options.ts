import { resolve } from 'node:path'
import { InvalidConfigError } from '@codio-chunk/interface'
import type { FsyncMode } from './content-state.js'

/** Options of `fsStorage`. */
export interface FsStorageInit {
  /** The directory that holds one folder per content. Created when the first content is stored. */
  dir: string
  /**
   * When writes are made durable:
   * - `'always'`: each chunk's data is fsynced before its journal record is appended, and the
   *   record is fsynced before `putChunk` resolves (safest, slowest);
   * - `'batch'` (default): data, then journal, are fsynced every `syncEvery` chunks of a content and
   *   on `close()`, in the background (`putChunk` does not wait for the disk; one sync runs at a
   *   time per content); a crash of the process loses nothing, a power cut at most the last two
   *   batches;
   * - `'never'`: the operating system decides (fastest; for caches that can be re-fetched).
   */
  fsync?: FsyncMode
  /** Chunks per fsync in `'batch'` mode. Default 64 (16 MiB of 256 KiB chunks). */
  syncEvery?: number
  /** Open file handles kept for reuse (least recently used closed first). Default 32. */
  maxOpenFiles?: number
  /** Contents whose manifest and completion bitfield stay in memory when idle. Default 256. */
  maxCachedContents?: number
}

function positiveInteger (value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidConfigError(`fsStorage ${name} must be a positive integer, got ${value}`)
  return value
}

/** The options of `fsStorage`, checked, with defaults filled in. */
export interface FsStorageSettings {
  dir: string
  fsync: FsyncMode
  syncEvery: number
  maxCachedContents: number
  maxOpenFiles: number
}

/** Checks `fsStorage`'s options (InvalidConfigError naming the bad one) and fills in the defaults. */
export function checkInit (init: FsStorageInit): FsStorageSettings {
  if (typeof init?.dir !== 'string' || init.dir.length === 0) {
    throw new InvalidConfigError('fsStorage needs a directory: fsStorage({ dir: \'./codio-data\' })')
  }
  const fsync = init.fsync ?? 'batch'
  if (fsync !== 'always' && fsync !== 'batch' && fsync !== 'never') {
    throw new InvalidConfigError(`fsStorage fsync must be 'always', 'batch' or 'never', got ${String(fsync)}`)
  }
  return {
    dir: resolve(init.dir),
    fsync,
    syncEvery: positiveInteger(init.syncEvery, 64, 'syncEvery'),
    maxCachedContents: positiveInteger(init.maxCachedContents, 256, 'maxCachedContents'),
    maxOpenFiles: positiveInteger(init.maxOpenFiles, 32, 'maxOpenFiles')
  }
}
