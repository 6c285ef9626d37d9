import { join } from 'node:path'
import { ContentId, InvalidContentIdError } from '@codio-chunk/interface'

/** The stored manifest (`Manifest.toBytes()`); a content exists once this file does. */
export const MANIFEST_FILE = 'manifest'
/** Where a manifest is written before it is atomically renamed to {@link MANIFEST_FILE}. */
export const MANIFEST_TEMP_FILE = 'manifest.tmp'
/** The content bytes; chunk `i` lives at `manifest.chunkOffset(i)`. */
export const DATA_FILE = 'data'
/** The completion journal: a header, then CRC-checked records of written chunks and checkpoints (journal-format.ts). */
export const JOURNAL_FILE = 'have'
/** Where the journal is rewritten (without the chunks that failed verification) before it replaces {@link JOURNAL_FILE}. */
export const JOURNAL_TEMP_FILE = 'have.tmp'

/** Absolute paths of one content's files. */
export interface ContentPaths {
  readonly dir: string
  readonly manifest: string
  readonly manifestTemp: string
  readonly data: string
  readonly journal: string
  readonly journalTemp: string
}

// CID strings as ContentId prints them are base32 (CIDv1, `b…`) or base58btc (CIDv0, `Qm…`):
// letters and digits only, so a folder name can never contain a separator or `..`.
const FOLDER_NAME = /^[A-Za-z0-9]{8,512}$/

/**
 * The folder name of a content: its CID string. Throws `InvalidContentIdError` for anything that is
 * not a plain alphanumeric CID string, so no id can name a path outside the storage directory.
 */
export function contentKey (root: ContentId): string {
  const key = root.toString()
  if (!FOLDER_NAME.test(key)) {
    throw new InvalidContentIdError(`Content id "${key}" cannot name a storage folder: use a CIDv0 (Qm…) or base32 CIDv1 (b…) content id`)
  }
  return key
}

/** The content id a folder under the storage directory stands for, or undefined if it is not one. */
export function parseFolderName (name: string): ContentId | undefined {
  if (!FOLDER_NAME.test(name)) return undefined
  try {
    const id = ContentId.parse(name)
    return id.toString() === name ? id : undefined
  } catch {
    return undefined
  }
}

/** The paths of the content stored under `key` in `baseDir`. */
export function contentPaths (baseDir: string, key: string): ContentPaths {
  const dir = join(baseDir, key)
  return {
    dir,
    manifest: join(dir, MANIFEST_FILE),
    manifestTemp: join(dir, MANIFEST_TEMP_FILE),
    data: join(dir, DATA_FILE),
    journal: join(dir, JOURNAL_FILE),
    journalTemp: join(dir, JOURNAL_TEMP_FILE)
  }
}
