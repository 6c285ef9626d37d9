import type { IdbDatabase, IdbKey } from './idb-api.js'
import { CHUNKS, committed } from './idb-database.js'

interface PendingWrite {
  key: IdbKey
  value: Uint8Array
  resolve: () => void
  reject: (err: Error) => void
}

/**
 * Gathers chunk writes made in the same turn of the event loop into one readwrite transaction
 * (one commit for many chunks: the engine stores every chunk that verified in a batch at once).
 * Each write resolves once its transaction has committed.
 */
export class WriteBatch {
  private pending: PendingWrite[] = []

  constructor (private readonly database: () => Promise<IdbDatabase>) {}

  /** Stores `value` under `key`; `value` is cloned before this returns (IndexedDB's structured clone). */
  async put (key: IdbKey, value: Uint8Array): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ key, value, resolve, reject })
      if (this.pending.length === 1) queueMicrotask(() => { void this.flush() })
    })
  }

  private async flush (): Promise<void> {
    const writes = this.pending
    this.pending = []
    try {
      const db = await this.database()
      // Chunks lost to a crash between commit and disk are fetched again: relaxed durability is enough.
      const tx = db.transaction(CHUNKS, 'readwrite', { durability: 'relaxed' })
      const store = tx.objectStore(CHUNKS)
      for (const write of writes) store.put(write.value, write.key)
      await committed(tx)
      for (const write of writes) write.resolve()
    } catch (err) {
      for (const write of writes) write.reject(err as Error)
    }
  }
}
