import { StorageError } from '@codio-chunk/interface'
import type { IdbDatabase, IdbFactory, IdbRequest, IdbTransaction } from './idb-api.js'

/** The object store of manifests: key the content id (CID string), value `Manifest.toBytes()`. */
export const MANIFESTS = 'manifests'
/** The object store of chunks: key `[content id, chunk index]`, value the chunk's bytes. */
export const CHUNKS = 'chunks'
/** The schema version of the database. */
export const SCHEMA_VERSION = 1

/**
 * Opens (and on first use creates) the database `name` with its two object stores. Another tab
 * upgrading the schema makes this connection close itself, so it never blocks the upgrade.
 */
export async function openDatabase (factory: IdbFactory, name: string): Promise<IdbDatabase> {
  const request = factory.open(name, SCHEMA_VERSION)
  request.onupgradeneeded = () => {
    const db = request.result
    if (!db.objectStoreNames.contains(MANIFESTS)) db.createObjectStore(MANIFESTS)
    if (!db.objectStoreNames.contains(CHUNKS)) db.createObjectStore(CHUNKS)
  }
  const db = await new Promise<IdbDatabase>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(storageError(`Could not open the IndexedDB database "${name}"`, request.error))
    request.onblocked = () => reject(new StorageError(`The IndexedDB database "${name}" is held open by an older version of this page in another tab; close that tab and reload`))
  })
  db.onversionchange = () => db.close()
  return db
}

/** The result of one request, as a promise. */
export async function requested<T> (request: IdbRequest<T>): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = (event) => {
      // Handled here: the transaction reports it too, without making it an uncaught error.
      event.preventDefault?.()
      reject(storageError('An IndexedDB request failed', request.error))
    }
  })
}

/** Resolves when the transaction has committed; rejects if it failed or was aborted. */
export async function committed (tx: IdbTransaction): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(storageError('An IndexedDB transaction failed', tx.error))
    tx.onabort = () => reject(storageError('An IndexedDB transaction was aborted', tx.error))
  })
}

/** A StorageError that says what to do, for an IndexedDB failure (quota exceeded above all). */
export function storageError (what: string, cause: unknown): StorageError {
  const name = (cause as { name?: unknown } | null)?.name
  if (name === 'QuotaExceededError') {
    return new StorageError(`${what}: the browser refused to store more (quota exceeded). Free space on the device, or delete contents this page stored (storage.delete(cid))`, { cause })
  }
  const detail = (cause as { message?: unknown } | null)?.message
  return new StorageError(`${what}${typeof detail === 'string' && detail !== '' ? `: ${detail}` : ''}`, { cause })
}
