import { createHash } from 'node:crypto'
import { appendFile, mkdtemp, open as openFile, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { StorageError } from '@codio-chunk/interface'
import type { Storage, Verifier } from '@codio-chunk/interface'
import { createComponents } from '@codio-chunk/protocol'
import { fsStorage, DATA_FILE, JOURNAL_FILE } from '../src/index.js'
import type { CheckpointClock, FsStorageInit, RecoveryReport } from '../src/index.js'
import { HEADER_SIZE, RECORD_SIZE } from '../src/journal-format.js'
import { realContent } from './real-content.js'
import { journalRecords } from './journal-file.js'

// The checkpoint mode: no fsync on the write path, checkpoints by time (an injected clock) and by
// bytes written, a close record on close(), and exactly the chunks recorded after the last
// checkpoint hashed when a content is opened after an unclean shutdown.

const content = await realContent(16 * 1024, 1024, 21) // 16 chunks of 1 KiB
const root = content.manifest.root
const key = root.toString()

/** Timers that run only when the test moves time on. */
class FakeClock implements CheckpointClock {
  now = 0
  private next = 1
  private readonly timers = new Map<number, { at: number, fn: () => void }>()
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.next++
    this.timers.set(id, { at: this.now + ms, fn })
    return id
  }

  clearTimeout = (handle: unknown): void => { this.timers.delete(handle as number) }
  get pending (): number[] { return [...this.timers.values()].map(t => t.at - this.now) }
  /** Moves time on by `ms`, running the timers that come due. */
  advance (ms: number): void {
    this.now += ms
    for (const [id, timer] of [...this.timers]) {
      if (timer.at > this.now) continue
      this.timers.delete(id)
      timer.fn()
    }
  }
}

/** A SHA-256 verifier that counts the blocks it hashes. */
function countingSha256 (): Verifier & { inputs: number } {
  const hash = (bytes: Uint8Array): Uint8Array => createHash('sha256').update(bytes).digest()
  const verifier = {
    name: 'sha2-256',
    code: 0x12,
    digestLength: 32,
    inputs: 0,
    digest: hash,
    digestMany: async (inputs: readonly Uint8Array[]) => { verifier.inputs += inputs.length; return inputs.map(hash) }
  }
  return verifier
}

interface Syncs { calls: string[], hold: () => void, release: () => void, fail: (err: Error | undefined) => void }

/** Logs every fdatasync as `data` or `journal`; data syncs can be held or failed. */
async function watchSyncs (): Promise<Syncs> {
  const probe: FileHandle = await openFile(join(dir, 'probe'), 'w')
  const proto = Object.getPrototypeOf(probe) as FileHandle
  await probe.close()
  const real = proto.datasync
  let held: Array<() => void> | undefined
  let failure: Error | undefined
  const syncs: Syncs = {
    calls: [],
    hold: () => { held ??= [] },
    release: () => { const waiting = held ?? []; held = undefined; for (const go of waiting) go() },
    fail: (err) => { failure = err }
  }
  vi.spyOn(proto, 'datasync').mockImplementation(async function (this: FileHandle) {
    const { size } = await this.stat()
    const isData = size === content.bytes.byteLength
    syncs.calls.push(isData ? 'data' : 'journal')
    if (isData && held !== undefined) await new Promise<void>(resolve => { held?.push(resolve) })
    if (isData && failure !== undefined) throw failure
    await real.call(this)
  })
  return syncs
}

let dir: string
let clock: FakeClock
const opened: Storage[] = []
const reports: RecoveryReport[] = []

function open (init: Partial<FsStorageInit> = {}, verifier?: Verifier): Storage {
  const storage = fsStorage({ dir, clock, onRecovery: report => { reports.push(report) }, ...init })(verifier === undefined ? undefined : createComponents({ verifiers: [verifier] }))
  opened.push(storage)
  return storage
}

const journalPath = (): string => join(dir, key, JOURNAL_FILE)
const indices = async (storage: Storage): Promise<number[]> => [...(await storage.completed(root)) ?? []]
const put = async (storage: Storage, chunks: number[]): Promise<void> => {
  for (const index of chunks) await storage.putChunk(root, index, content.chunks[index])
}

/** Resolves once the journal holds a record of `kind` (polling, bounded). */
async function untilJournalHas (kind: 'checkpoint' | 'close'): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await journalRecords(journalPath())).some(r => r.kind === kind)) return
    await new Promise(resolve => setTimeout(resolve, 2))
  }
  throw new Error(`timed out waiting for a ${kind} record`)
}

/** Resolves once `predicate` holds, checking every millisecond or so (bounded). */
async function until (predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (predicate()) return
    await new Promise(resolve => setTimeout(resolve, 1))
  }
  throw new Error(`timed out waiting for ${what}`)
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-storage-fs-checkpoint-'))
  clock = new FakeClock()
  reports.length = 0
})

afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.allSettled(opened.splice(0).map(async storage => { await storage.close() }))
  await rm(dir, { recursive: true, force: true })
})

describe('fsStorage checkpoint mode: scheduling', () => {
  it('is the default, and syncs nothing while chunks are written', async () => {
    const storage = open()
    await storage.putManifest(content.manifest)
    const syncs = await watchSyncs()
    await put(storage, [3, 1, 4])
    expect(syncs.calls).toEqual([])
    expect(clock.pending).toEqual([5000]) // one time-driven checkpoint armed, at the default interval
  })

  it('checkpoints once the interval is up after the first chunk recorded since the last one', async () => {
    const storage = open({ checkpointInterval: 1000 })
    await storage.putManifest(content.manifest)
    const syncs = await watchSyncs()
    await put(storage, [0, 1])
    clock.advance(500)
    await put(storage, [2]) // the timer runs from the first chunk, not the last
    expect(clock.pending).toEqual([500])
    clock.advance(500)
    await until(() => syncs.calls.length === 2, 'the checkpoint')
    expect(syncs.calls).toEqual(['data', 'journal'])
    expect(await journalRecords(journalPath())).toEqual([
      { kind: 'chunk', value: 0 }, { kind: 'chunk', value: 1 }, { kind: 'chunk', value: 2 }, { kind: 'checkpoint', value: 3 }
    ])
    await put(storage, [3]) // armed now, or when the checkpoint's journal sync ends: a full interval either way
    await until(() => clock.pending.length === 1, 'the next timer')
    expect(clock.pending).toEqual([1000])
  })

  it('checkpoints early once checkpointBytes were written, without holding up the writes', async () => {
    const storage = open({ checkpointBytes: 3 * 1024 })
    await storage.putManifest(content.manifest)
    const syncs = await watchSyncs()
    syncs.hold()
    await put(storage, [0, 1, 2]) // the third reaches 3 KiB: a checkpoint starts and is held
    await until(() => syncs.calls.length === 1, 'the data sync')
    await put(storage, [3, 4, 5, 6, 7]) // past the threshold again while it is held: nobody waits
    expect(syncs.calls).toEqual(['data'])
    syncs.release()
    // The chunks written meanwhile are over the threshold: the next checkpoint starts at once.
    await until(() => syncs.calls.length === 4, 'the second checkpoint')
    expect(syncs.calls).toEqual(['data', 'journal', 'data', 'journal'])
    await storage.close()
    const records = await journalRecords(journalPath())
    expect(records.filter(r => r.kind !== 'chunk')).toEqual([{ kind: 'checkpoint', value: 3 }, { kind: 'checkpoint', value: 9 }, { kind: 'close', value: 10 }])
  })

  it('starts a checkpoint that came due on time while another ran as soon as that one ends', async () => {
    const storage = open({ checkpointInterval: 100, checkpointBytes: 2 * 1024 })
    await storage.putManifest(content.manifest)
    const syncs = await watchSyncs()
    syncs.hold()
    await put(storage, [0, 1]) // a byte-driven checkpoint starts and is held
    await until(() => syncs.calls.length === 1, 'the data sync')
    await put(storage, [2])
    expect(clock.pending).toEqual([]) // armed when the running one ends
    syncs.release()
    await until(() => clock.pending.length === 1, 'the timer of chunk 2')
    clock.advance(100)
    await until(() => syncs.calls.length === 4, 'the time-driven checkpoint')
  })

  it('reports a failed checkpoint on the next write and covers its chunks with the next one', async () => {
    const storage = open({ checkpointBytes: 2 * 1024, checkpointInterval: 1000 })
    await storage.putManifest(content.manifest)
    const syncs = await watchSyncs()
    syncs.fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
    await put(storage, [0, 1])
    await until(() => syncs.calls.length === 1, 'the failed data sync')
    await until(() => clock.pending.length === 1, 'the retry timer')
    const next = storage.putChunk(root, 2, content.chunks[2])
    await expect(next).rejects.toThrow(StorageError)
    await expect(next).rejects.toThrow(/EIO/)
    expect(await indices(storage)).toEqual([0, 1, 2]) // written and recorded, not yet durable
    syncs.fail(undefined)
    clock.advance(1000)
    await until(() => syncs.calls.length === 3, 'the retry')
    await storage.close()
    expect((await journalRecords(journalPath())).filter(r => r.kind !== 'chunk')).toEqual([{ kind: 'checkpoint', value: 3 }, { kind: 'close', value: 4 }])
  })

  it('stops the timer of a content that is deleted, and of every content on close', async () => {
    const storage = open()
    await storage.putManifest(content.manifest)
    await put(storage, [0])
    expect(clock.pending.length).toBe(1)
    await storage.delete(root)
    expect(clock.pending).toEqual([])
    await storage.putManifest(content.manifest)
    await put(storage, [1])
    await storage.close()
    expect(clock.pending).toEqual([])
    expect((await journalRecords(journalPath())).map(r => r.kind)).toEqual(['chunk', 'close'])
  })

  it('rejects bad checkpoint options with InvalidConfigError', () => {
    expect(() => fsStorage({ dir, checkpointInterval: 0 })).toThrow(/checkpointInterval/)
    expect(() => fsStorage({ dir, checkpointBytes: -1 })).toThrow(/checkpointBytes/)
    expect(() => fsStorage({ dir, clock: {} as CheckpointClock })).toThrow(/clock/)
  })
})

describe('fsStorage checkpoint mode: reopening', () => {
  it('after close(), finds a close record and hashes nothing when the content is opened', async () => {
    const first = open()
    await first.putManifest(content.manifest)
    await put(first, [0, 5, 9])
    await first.close()
    expect((await journalRecords(journalPath())).at(-1)).toEqual({ kind: 'close', value: 3 })

    const verifier = countingSha256()
    const second = open({}, verifier)
    expect(await indices(second)).toEqual([0, 5, 9])
    expect(verifier.inputs).toBe(1) // the manifest's root block, checked at open; no chunk
    expect(reports).toEqual([])
    await second.close()
    expect((await stat(journalPath())).size).toBe(HEADER_SIZE + 4 * RECORD_SIZE) // read only: nothing appended
  })

  it('after a crash, hashes exactly the chunks recorded after the last checkpoint, and drops those whose bytes were lost', async () => {
    const crashed = open({ checkpointInterval: 1000 })
    await crashed.putManifest(content.manifest)
    await put(crashed, [0, 1, 2, 3])
    clock.advance(1000)
    await untilJournalHas('checkpoint')
    await put(crashed, [7, 8, 9]) // no close: the process is gone
    expect((await journalRecords(journalPath())).map(r => r.kind === 'chunk' ? r.value : `${r.kind} ${r.value}`)).toEqual([0, 1, 2, 3, 'checkpoint 4', 7, 8, 9])
    // A power cut lost chunk 8's write: its bytes read back as zeros.
    const handle = await openFile(join(dir, key, DATA_FILE), 'r+')
    await handle.write(new Uint8Array(1024), 0, 1024, content.manifest.chunkOffset(8))
    await handle.close()

    const verifier = countingSha256()
    const restarted = open({}, verifier)
    expect(await indices(restarted)).toEqual([0, 1, 2, 3, 7, 9])
    expect(verifier.inputs).toBe(1 + 3) // the manifest's root block, then chunks 7, 8 and 9
    expect(reports).toEqual([{ content: key, rechecked: 3, dropped: 1, truncated: 0, journalBytesCut: 0 }])
    // Rechecked chunks are not hashed again when read; the others are, once, as always.
    expect(new Uint8Array(await restarted.getChunk(root, 7))).toEqual(new Uint8Array(content.chunks[7]))
    expect(verifier.inputs).toBe(4)
    expect(new Uint8Array(await restarted.getChunk(root, 0))).toEqual(new Uint8Array(content.chunks[0]))
    expect(verifier.inputs).toBe(5)
    // The journal was rewritten with a checkpoint covering what it keeps: another crash rechecks nothing.
    expect((await journalRecords(journalPath())).map(r => r.kind === 'chunk' ? r.value : `${r.kind} ${r.value}`)).toEqual([0, 1, 2, 3, 7, 9, 'checkpoint 6'])
    const again = open({}, countingSha256())
    expect(await indices(again)).toEqual([0, 1, 2, 3, 7, 9])
    expect(reports.length).toBe(2)
    expect(reports[1]).toMatchObject({ rechecked: 0, dropped: 0 })
  })

  it('cuts a torn last record off and rechecks the chunks after the last checkpoint', async () => {
    const first = open()
    await first.putManifest(content.manifest)
    await put(first, [2, 4])
    await first.close()
    const crashed = open()
    await put(crashed, [6, 11])
    await appendFile(journalPath(), new Uint8Array([1, 0, 0, 0, 0, 0, 0])) // the next record, torn
    const verifier = countingSha256()
    const restarted = open({}, verifier)
    expect(await indices(restarted)).toEqual([2, 4, 6, 11])
    expect(reports).toEqual([{ content: key, rechecked: 2, dropped: 0, truncated: 0, journalBytesCut: 7 }])
    expect(verifier.inputs).toBe(1 + 2)
  })

  it('drops the chunks past the end of a data file a power cut left short, before its first checkpoint', async () => {
    const crashed = open()
    await crashed.putManifest(content.manifest)
    await put(crashed, [0, 1, 10, 15])
    await truncate(join(dir, key, DATA_FILE), 4096) // its size never reached the disk either
    const restarted = open()
    expect(await indices(restarted)).toEqual([0, 1])
    expect(reports).toEqual([{ content: key, rechecked: 2, dropped: 0, truncated: 2, journalBytesCut: 0 }])
    expect((await stat(join(dir, key, DATA_FILE))).size).toBe(content.bytes.byteLength)
  })

  it('trusts nothing of a journal whose header is damaged, and starts it again', async () => {
    const crashed = open()
    await crashed.putManifest(content.manifest)
    await put(crashed, [0, 1])
    const bytes = new Uint8Array(await readFile(journalPath()))
    bytes[HEADER_SIZE - 1] ^= 0xff // the header's CRC
    await writeFile(journalPath(), bytes)
    const restarted = open()
    expect(await indices(restarted)).toEqual([])
    expect(reports).toEqual([{ content: key, rechecked: 0, dropped: 0, truncated: 0, journalBytesCut: bytes.length }])
    expect(await journalRecords(journalPath())).toEqual([{ kind: 'checkpoint', value: 0 }])
  })

  it('in mode never, trusts the journal as found (chunks checked when first read, as before)', async () => {
    const crashed = open({ fsync: 'never' })
    await crashed.putManifest(content.manifest)
    await put(crashed, [0, 1, 2])
    const verifier = countingSha256()
    const restarted = open({ fsync: 'never' }, verifier)
    expect(await indices(restarted)).toEqual([0, 1, 2])
    expect(verifier.inputs).toBe(1)
    expect(reports).toEqual([{ content: key, rechecked: 0, dropped: 0, truncated: 0, journalBytesCut: 0 }])
    expect((await journalRecords(journalPath())).every(r => r.kind === 'chunk')).toBe(true) // never claims durability
  })

  it('in mode always, covers every appended batch: a crash rechecks nothing', async () => {
    const crashed = open({ fsync: 'always' })
    await crashed.putManifest(content.manifest)
    await put(crashed, [0, 1, 2])
    const verifier = countingSha256()
    const restarted = open({ fsync: 'always' }, verifier)
    expect(await indices(restarted)).toEqual([0, 1, 2])
    expect(verifier.inputs).toBe(1)
    expect(reports).toEqual([{ content: key, rechecked: 0, dropped: 0, truncated: 0, journalBytesCut: 0 }])
  })

  it('in mode batch, checkpoints every syncEvery chunks: a crash rechecks only the rest', async () => {
    const crashed = open({ fsync: 'batch', syncEvery: 4 })
    await crashed.putManifest(content.manifest)
    await put(crashed, [0, 1, 2, 3])
    await untilJournalHas('checkpoint')
    await put(crashed, [4, 5])
    const restarted = open({ fsync: 'batch' }, countingSha256())
    expect(await indices(restarted)).toEqual([0, 1, 2, 3, 4, 5])
    expect(reports).toEqual([{ content: key, rechecked: 2, dropped: 0, truncated: 0, journalBytesCut: 0 }])
  })
})
