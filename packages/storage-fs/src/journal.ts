import type { FileHandle } from 'node:fs/promises'
import { Bitfield } from '@codio-chunk/interface'

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

interface Batch {
  readonly indices: number[]
  sync: boolean
  readonly done: Promise<void>
  resolve: () => void
  reject: (err: unknown) => void
}

function newBatch (): Batch {
  let resolve!: () => void
  let reject!: (err: unknown) => void
  const done = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  done.catch(() => {}) // a batch nobody awaits (a bare sync) must not be an unhandled rejection
  return { indices: [], sync: false, done, resolve, reject }
}

/**
 * Appends records to a completion journal with group commit: records that arrive while a write is
 * running are written together by the next write (one positional write and at most one fsync per
 * batch), so many concurrent chunk completions cost few system calls.
 *
 * @example
 * ```ts
 * const writer = new JournalWriter(sink, validLength, false)
 * await writer.append(7) // record for chunk 7 is written
 * await writer.sync()    // and durable
 * ```
 */
export class JournalWriter {
  private readonly sink: JournalSink
  private readonly syncEach: boolean
  private length: number
  private next: Batch | undefined
  private running = false

  constructor (sink: JournalSink, length: number, syncEach: boolean) {
    this.sink = sink
    this.length = length
    this.syncEach = syncEach
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

  private batch (): Batch {
    this.next ??= newBatch()
    return this.next
  }

  private kick (): void {
    if (this.running || this.next === undefined) return
    const batch = this.next
    this.next = undefined
    this.running = true
    this.write(batch).then(batch.resolve, batch.reject).finally(() => {
      this.running = false
      this.kick()
    })
  }

  private async write (batch: Batch): Promise<void> {
    const count = batch.indices.length
    const bytes = new Uint8Array(count * RECORD_SIZE)
    const view = new DataView(bytes.buffer)
    for (let i = 0; i < count; i++) view.setUint32(i * RECORD_SIZE, batch.indices[i])
    // Positional writes: after a failed write the next batch overwrites the same offset.
    await this.sink(bytes, this.length, batch.sync)
    this.length += bytes.length
  }
}
