import { mkdtemp, open as openFile, rm } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { StorageError } from '@codio-chunk/interface'
import type { Storage } from '@codio-chunk/interface'
import { fsStorage, DATA_FILE } from '../src/index.js'
import { realContent } from './real-content.js'

// Batch mode syncs in the background: these tests hold or fail the data file's fdatasync (the
// FileHandle prototype's `datasync`, which the storage calls for data and journal alike) to see
// who waits for it and where its errors surface.

const content = await realContent(12 * 1024, 1024, 9) // 12 chunks
const root = content.manifest.root
const key = root.toString()

let dir: string
let storage: Storage | undefined

interface Gate { readonly calls: string[], release: () => void, fail: (err: Error) => void }

/** Makes every datasync of the data file wait for `release()` (or fail with `fail(err)`); journal syncs pass. */
async function holdDataSyncs (): Promise<Gate> {
  const probe: FileHandle = await openFile(join(dir, 'probe'), 'w')
  const proto = Object.getPrototypeOf(probe) as FileHandle
  await probe.close()
  const real = proto.datasync
  const waiting: Array<{ resolve: () => void, reject: (err: Error) => void }> = []
  let outcome: Error | null | undefined
  const gate: Gate = {
    calls: [],
    release: () => { outcome = null; for (const w of waiting.splice(0)) w.resolve() },
    fail: (err) => { outcome = err; for (const w of waiting.splice(0)) w.reject(err) }
  }
  vi.spyOn(proto, 'datasync').mockImplementation(async function (this: FileHandle) {
    // The handle cache opens files by path; the data file is the one sized to the content.
    const { size } = await this.stat()
    if (size !== content.bytes.byteLength) { await real.call(this); return }
    gate.calls.push(DATA_FILE)
    if (outcome === null) { await real.call(this); return }
    if (outcome !== undefined) throw outcome
    await new Promise<void>((resolve, reject) => { waiting.push({ resolve, reject }) })
    await real.call(this)
  })
  return gate
}

/** Resolves once `predicate` holds, checking after each macrotask (bounded). */
async function until (predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (predicate()) return
    await new Promise(resolve => setImmediate(resolve))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** A batch-mode storage (2 chunks per batch) whose first batch sync failed with EIO; later syncs wait on `gate`. */
async function failFirstBatch (): Promise<{ gate: Gate, store: Storage }> {
  const store = storage = fsStorage({ dir, fsync: 'batch', syncEvery: 2 })()
  await store.putManifest(content.manifest)
  const gate = await holdDataSyncs()
  await store.putChunk(root, 0, content.chunks[0])
  await store.putChunk(root, 1, content.chunks[1])
  await until(() => gate.calls.length === 1, 'the batch sync')
  gate.fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
  return { gate, store }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-storage-fs-batch-'))
})

afterEach(async () => {
  vi.restoreAllMocks()
  await storage?.close().catch(() => {})
  storage = undefined
  await rm(dir, { recursive: true, force: true })
})

describe('fsStorage batch syncs', () => {
  it('resolves the write that completes a batch without waiting for its fsync', async () => {
    storage = fsStorage({ dir, fsync: 'batch', syncEvery: 4 })()
    await storage.putManifest(content.manifest)
    const gate = await holdDataSyncs()
    for (const index of [0, 1, 2, 3, 4, 5]) await storage.putChunk(root, index, content.chunks[index])
    await until(() => gate.calls.length === 1, 'the first batch sync')
    expect([...(await storage.completed(root)) ?? []]).toEqual([0, 1, 2, 3, 4, 5])
    gate.release()
    await storage.close()
    expect(gate.calls.length).toBe(2) // the batch, then the rest on close
  })

  it('makes the write completing the next batch wait while the previous sync still runs', async () => {
    storage = fsStorage({ dir, fsync: 'batch', syncEvery: 2 })()
    await storage.putManifest(content.manifest)
    const gate = await holdDataSyncs()
    await storage.putChunk(root, 0, content.chunks[0])
    await storage.putChunk(root, 1, content.chunks[1]) // batch 1 complete: its sync starts and is held
    await storage.putChunk(root, 2, content.chunks[2])
    let settled = false
    const fourth = storage.putChunk(root, 3, content.chunks[3]).then(() => { settled = true })
    // Chunk 3 is written and journalled, then waits for batch 1's sync before starting batch 2's.
    await until(() => gate.calls.length === 1, 'the first batch sync')
    for (let i = 0; i < 50; i++) await new Promise(resolve => setImmediate(resolve))
    expect(settled).toBe(false)
    gate.release()
    await fourth
    expect(settled).toBe(true)
    await until(() => gate.calls.length === 2, 'the second batch sync')
  })

  it('reports a failed background sync on the next write, then on close if it fails again', async () => {
    const { store } = await failFirstBatch()
    // The failed batch counts as unsynced again, so the next write completes a batch: it waits
    // for the failed sync and reports it.
    const next = store.putChunk(root, 2, content.chunks[2])
    await expect(next).rejects.toThrow(StorageError)
    await expect(next).rejects.toThrow(/EIO/)
    // The chunk stays recorded (it is in the page cache); the batch is retried by the next one.
    await store.putChunk(root, 3, content.chunks[3])
    expect([...(await store.completed(root)) ?? []]).toEqual([0, 1, 2, 3])
    await expect(store.close()).rejects.toThrow(/EIO/)
  })

  it('retries a failed batch on close and succeeds once the disk recovers', async () => {
    const { gate, store } = await failFirstBatch()
    gate.release()
    // close() reports the earlier failure (the kernel may have dropped those pages) after a retry that succeeds.
    await expect(store.close()).rejects.toThrow(/EIO/)
    expect(gate.calls.length).toBe(2)
    storage = fsStorage({ dir, fsync: 'batch' })()
    expect([...(await storage.completed(root)) ?? []]).toEqual([0, 1])
  })
})
