import type { FileHandle } from 'node:fs/promises'
import { Bitfield, StorageError } from '@codio-chunk/interface'

/** Bytes per journal record: one big-endian u32 chunk index. */
export const RECORD_SIZE = 4
const READ_BLOCK = 64 * 1024

/** What a journal holds. */
export interface JournalContents {
  /** Chunks recorded as complete. */
  have: Bitfield
  /** Bytes of whole records; anything past it is a torn record from a crash and must be cut off. */
  validLength: number
  /** The file's size as found. */
  fileLength: number
}

/**
 * Reads a completion journal into a bitfield, in bounded blocks. A torn last record (a crash in
 * the middle of an append) is left out of `validLength`; records naming a chunk past the end of the
 * content are ignored.
 *
 * @example
 * ```ts
 * const { have, validLength } = await readJournal(handle, manifest.chunkCount)
 * ```
 */
export async function readJournal (handle: FileHandle, chunkCount: number): Promise<JournalContents> {
  const { size } = await handle.stat()
  const validLength = size - (size % RECORD_SIZE)
  const have = new Bitfield(chunkCount)
  const block = new Uint8Array(Math.min(READ_BLOCK, Math.max(validLength, RECORD_SIZE)))
  const view = new DataView(block.buffer)
  let position = 0
  while (position < validLength) {
    const want = Math.min(block.length, validLength - position)
    let got = 0
    while (got < want) {
      const { bytesRead } = await handle.read(block, got, want - got, position + got)
      if (bytesRead === 0) break
      got += bytesRead
    }
    const whole = got - (got % RECORD_SIZE)
    for (let p = 0; p < whole; p += RECORD_SIZE) {
      const index = view.getUint32(p)
      if (index < chunkCount) have.set(index)
    }
    if (got < want) return { have, validLength: position + whole, fileLength: size }
    position += got
  }
  return { have, validLength, fileLength: size }
}

/** Writes journal bytes at a position, fsyncing afterwards when `sync` is true. */
export type JournalSink = (bytes: Uint8Array, position: number, sync: boolean) => Promise<void>

/**
 * Replaces the whole journal with `bytes` atomically (a temporary file renamed over it), so a crash
 * leaves either the old journal or the new one.
 */
export type JournalReplace = (bytes: Uint8Array) => Promise<void>

/** What a {@link JournalWriter} needs besides its sink to drop records. */
export interface JournalRewrite {
  /** The chunks the journal records (as read back when the content was opened); kept up to date. */
  recorded: Bitfield
  replace: JournalReplace
}

interface Op {
  /** Records to append; or, for a removal, the chunks whose records go. */
  readonly indices: number[]
  readonly remove: boolean
  sync: boolean
  readonly done: Promise<void>
  resolve: () => void
  reject: (err: unknown) => void
}

function newOp (remove: boolean): Op {
  let resolve!: () => void
  let reject!: (err: unknown) => void
  const done = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  done.catch(() => {}) // an operation nobody awaits (a bare sync) must not be an unhandled rejection
  return { indices: [], remove, sync: false, done, resolve, reject }
}

/** The records of `chunks`, one big-endian u32 each. */
function encodeRecords (chunks: Iterable<number>, count: number): Uint8Array {
  const bytes = new Uint8Array(count * RECORD_SIZE)
  const view = new DataView(bytes.buffer)
  let p = 0
  for (const index of chunks) {
    view.setUint32(p, index)
    p += RECORD_SIZE
  }
  return bytes
}

/**
 * Appends records to a completion journal with group commit: records that arrive while a write is
 * running are written together by the next write (one positional write and at most one fsync per
 * batch), so many concurrent chunk completions cost few system calls. Records can also be removed
 * ({@link JournalWriter.remove}): the journal is then rewritten without them, in turn with the
 * appends, so no append is lost to a rewrite.
 *
 * @example
 * ```ts
 * const writer = new JournalWriter(sink, validLength, false, { recorded: have.clone(), replace })
 * await writer.append(7) // record for chunk 7 is written
 * await writer.sync()    // and durable
 * await writer.remove([7]) // the journal no longer lists chunk 7
 * ```
 */
export class JournalWriter {
  private readonly sink: JournalSink
  private readonly syncEach: boolean
  private readonly rewrite?: JournalRewrite
  private length: number
  /** Operations waiting, oldest first; the last may still take more records. */
  private readonly queue: Op[] = []
  private running = false
  private tail: Promise<void> = Promise.resolve()

  constructor (sink: JournalSink, length: number, syncEach: boolean, rewrite?: JournalRewrite) {
    this.sink = sink
    this.length = length
    this.syncEach = syncEach
    this.rewrite = rewrite
  }

  /** True while a write, sync or rewrite is running or waiting. */
  get busy (): boolean {
    return this.running || this.queue.length > 0
  }

  /** Appends a record for chunk `index`; resolves once written (and fsynced if `syncEach`). */
  async append (index: number): Promise<void> {
    const batch = this.batch()
    batch.indices.push(index)
    if (this.syncEach) batch.sync = true
    this.kick()
    await batch.done
  }

  /** Resolves once every record appended so far is written and fsynced. */
  async sync (): Promise<void> {
    const batch = this.batch()
    batch.sync = true
    this.kick()
    await batch.done
  }

  /**
   * Rewrites the journal without the records of `indices` (atomically, through `replace`), after
   * the appends asked for before it and before those asked for after it. Needs `rewrite`.
   */
  async remove (indices: readonly number[]): Promise<void> {
    if (this.rewrite === undefined) throw new StorageError('This journal writer was made without a rewrite, so it cannot remove records: pass one to its constructor')
    const last = this.queue[this.queue.length - 1]
    const op = last?.remove === true ? last : this.push(newOp(true))
    op.indices.push(...indices)
    this.kick()
    await op.done
  }

  /** Resolves once every operation asked for so far has finished (failed ones included). */
  async idle (): Promise<void> {
    let tail: Promise<void>
    do {
      tail = this.tail
      await tail
    } while (tail !== this.tail)
  }

  private batch (): Op {
    const last = this.queue[this.queue.length - 1]
    return last !== undefined && !last.remove ? last : this.push(newOp(false))
  }

  private push (op: Op): Op {
    this.queue.push(op)
    this.tail = op.done.then(() => {}, () => {})
    return op
  }

  private kick (): void {
    if (this.running || this.queue.length === 0) return
    const op = this.queue.shift() as Op
    this.running = true
    const run = op.remove ? this.replace(op) : this.write(op)
    run.then(op.resolve, op.reject).finally(() => {
      this.running = false
      this.kick()
    })
  }

  private async write (batch: Op): Promise<void> {
    const bytes = encodeRecords(batch.indices, batch.indices.length)
    // Positional writes: after a failed write the next batch overwrites the same offset.
    await this.sink(bytes, this.length, batch.sync)
    this.length += bytes.length
    const recorded = this.rewrite?.recorded
    if (recorded !== undefined) for (const index of batch.indices) if (index < recorded.length) recorded.set(index)
  }

  private async replace (op: Op): Promise<void> {
    const { recorded, replace } = this.rewrite as JournalRewrite
    for (const index of op.indices) if (Number.isInteger(index) && index >= 0 && index < recorded.length) recorded.set(index, false)
    const bytes = encodeRecords(recorded, recorded.count)
    await replace(bytes)
    this.length = bytes.length
  }
}
