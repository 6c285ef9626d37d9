import type { Bitfield } from '@codio-chunk/interface'
import { HEADER_SIZE, JournalCodec, RECORD_SIZE, RecordKind, encodeJournal, encodeRecords } from './journal-format.js'
import type { RecordToWrite } from './journal-format.js'

/** The file operations a {@link JournalWriter} needs. */
export interface JournalIo {
  /** Writes `bytes` at `position` of the journal, fdatasyncing it afterwards when `sync` is true. */
  write: (bytes: Uint8Array, position: number, sync: boolean) => Promise<void>
  /** fdatasyncs the journal. */
  sync: () => Promise<void>
  /**
   * Replaces the whole journal with `bytes` atomically (a temporary file, fsynced where the
   * storage syncs at all, renamed over it), so a crash leaves either the old journal or the new one.
   */
  replace: (bytes: Uint8Array) => Promise<void>
  /**
   * fdatasyncs the content's data file. Given in the modes that make chunks durable: a rewritten
   * journal then covers its records with a checkpoint, after this.
   */
  syncData?: () => Promise<void>
}

/** Where a journal stood: the records written to it so far, and which rewrite of it that was. */
export interface JournalMark {
  readonly generation: number
  readonly records: number
}

/** What a {@link JournalWriter} starts from. */
export interface JournalWriterInit {
  /** The codec (salt) of the journal file; a rewrite starts a new one. */
  codec: JournalCodec
  /** Records in the file (appends go after them, at `HEADER_SIZE + records * RECORD_SIZE`). */
  records: number
  /**
   * Fsync every append, and end each appended batch with a checkpoint covering it (the `always`
   * mode: each chunk's data was fsynced before its record is appended).
   */
  syncEach: boolean
  /** The chunks the journal records (as read back when the content was opened); kept up to date. */
  recorded: Bitfield
}

type Op =
  | { readonly type: 'append', readonly indices: number[], sync: boolean, readonly done: Deferred }
  | { readonly type: 'remove', readonly indices: number[], readonly done: Deferred }
  | { readonly type: 'checkpoint', readonly mark: JournalMark, readonly kind: typeof RecordKind.checkpoint | typeof RecordKind.close, readonly done: Deferred }

interface Deferred {
  readonly promise: Promise<boolean>
  resolve: (wrote: boolean) => void
  reject: (err: unknown) => void
}

function deferred (): Deferred {
  let resolve!: (wrote: boolean) => void
  let reject!: (err: unknown) => void
  const promise = new Promise<boolean>((res, rej) => { resolve = res; reject = rej })
  promise.catch(() => {}) // an operation nobody awaits must not be an unhandled rejection
  return { promise, resolve, reject }
}

/**
 * Appends records to a completion journal (format: journal-format.ts) with group commit: records
 * that arrive while a write is running are written together by the next write (one positional
 * write and at most one fsync per batch), so many concurrent chunk completions cost few system
 * calls. Checkpoint records are written in turn with the appends
 * ({@link JournalWriter.checkpoint}). Records can be removed ({@link JournalWriter.remove}): the
 * journal is then rewritten without them (under a new salt), in turn with the appends, so no
 * append is lost to a rewrite.
 *
 * @example
 * ```ts
 * const writer = new JournalWriter(io, { codec: JournalCodec.create(), records: 0, syncEach: false, recorded: new Bitfield(n) })
 * await writer.append(7)              // record for chunk 7 is written
 * const mark = writer.mark()          // records written so far
 * await io.syncData()                 // their chunks' data is durable
 * await writer.checkpoint(mark)       // and now the journal says so, durably
 * await writer.remove([7])            // the journal no longer lists chunk 7
 * ```
 */
export class JournalWriter {
  private readonly io: JournalIo
  private readonly syncEach: boolean
  private readonly recorded: Bitfield
  private codec: JournalCodec
  private records: number
  /** Counts rewrites: a mark taken before one covers nothing in the rewritten file. */
  private generation = 0
  /** Operations waiting, oldest first; the last may still take more records. */
  private readonly queue: Op[] = []
  private running = false
  private tail: Promise<void> = Promise.resolve()

  constructor (io: JournalIo, init: JournalWriterInit) {
    this.io = io
    this.codec = init.codec
    this.records = init.records
    this.syncEach = init.syncEach
    this.recorded = init.recorded
  }

  /** True while a write, checkpoint or rewrite is running or waiting. */
  get busy (): boolean {
    return this.running || this.queue.length > 0
  }

  /** The records written to the journal so far (those still queued are not). */
  mark (): JournalMark {
    return { generation: this.generation, records: this.records }
  }

  /** Appends a record for chunk `index`; resolves once written (and fsynced if `syncEach`). */
  async append (index: number): Promise<void> {
    const last = this.queue[this.queue.length - 1]
    const batch = last?.type === 'append' ? last : this.push({ type: 'append', indices: [], sync: false, done: deferred() })
    batch.indices.push(index)
    if (this.syncEach) batch.sync = true
    this.kick()
    await batch.done.promise
  }

  /**
   * Records that every record before `mark` is durable, and fsyncs the journal. Call it once the
   * data file was fdatasynced after `mark` was taken. The record goes in turn with the appends;
   * the fsync runs after it without holding them up. Resolves false, writing nothing, when the
   * journal was rewritten since `mark` (a rewrite covers what it keeps with a checkpoint of its own).
   */
  async checkpoint (mark: JournalMark, kind: 'checkpoint' | 'close' = 'checkpoint'): Promise<boolean> {
    const op = this.push({ type: 'checkpoint', mark, kind: kind === 'close' ? RecordKind.close : RecordKind.checkpoint, done: deferred() })
    this.kick()
    const wrote = await op.done.promise
    if (wrote) await this.io.sync()
    return wrote
  }

  /**
   * Rewrites the journal without the records of `indices` (atomically, through `replace`), after
   * the operations asked for before it and before those asked for after it. With `syncData`, the
   * data file is fdatasynced first and the new journal ends with a checkpoint covering every record.
   */
  async remove (indices: readonly number[]): Promise<void> {
    const last = this.queue[this.queue.length - 1]
    const op = last?.type === 'remove' ? last : this.push({ type: 'remove', indices: [], done: deferred() })
    op.indices.push(...indices)
    this.kick()
    await op.done.promise
  }

  /** Resolves once every operation asked for so far has finished (failed ones included). */
  async idle (): Promise<void> {
    let tail: Promise<void>
    do {
      tail = this.tail
      await tail
    } while (tail !== this.tail)
  }

  private push<T extends Op> (op: T): T {
    this.queue.push(op)
    this.tail = op.done.promise.then(() => {}, () => {})
    return op
  }

  private kick (): void {
    if (this.running || this.queue.length === 0) return
    const op = this.queue.shift() as Op
    this.running = true
    const run = op.type === 'remove' ? this.rewrite(op.indices) : op.type === 'append' ? this.appendRecords(op.indices, op.sync) : this.writeCheckpoint(op.mark, op.kind)
    run.then(op.done.resolve, op.done.reject).finally(() => {
      this.running = false
      this.kick()
    })
  }

  private async appendRecords (indices: number[], sync: boolean): Promise<boolean> {
    const records: RecordToWrite[] = indices.map(value => ({ kind: RecordKind.chunk, value }))
    // syncEach: each chunk's data was fsynced before its record was asked for, so the batch can
    // say it is durable as soon as its own fsync is done.
    if (this.syncEach) records.push({ kind: RecordKind.checkpoint, value: this.records + indices.length })
    await this.writeAtEnd(records, sync)
    for (const index of indices) if (index < this.recorded.length) this.recorded.set(index)
    return true
  }

  private async writeCheckpoint (mark: JournalMark, kind: typeof RecordKind.checkpoint | typeof RecordKind.close): Promise<boolean> {
    if (mark.generation !== this.generation) return false
    await this.writeAtEnd([{ kind, value: mark.records }], false)
    return true
  }

  private async writeAtEnd (records: RecordToWrite[], sync: boolean): Promise<void> {
    const bytes = encodeRecords(this.codec, this.records, records)
    // Positional writes: after a failed write the next batch overwrites the same offset.
    await this.io.write(bytes, HEADER_SIZE + this.records * RECORD_SIZE, sync)
    this.records += records.length
  }

  private async rewrite (indices: number[]): Promise<boolean> {
    for (const index of indices) if (Number.isInteger(index) && index >= 0 && index < this.recorded.length) this.recorded.set(index, false)
    const covered = this.io.syncData !== undefined
    // Every record kept was written after its chunk's data: synced now, they are all durable.
    if (covered) await this.io.syncData?.()
    const codec = JournalCodec.create()
    const bytes = encodeJournal(codec, this.recorded, covered)
    await this.io.replace(bytes)
    this.codec = codec
    this.records = (bytes.length - HEADER_SIZE) / RECORD_SIZE
    this.generation++
    return true
  }
}
