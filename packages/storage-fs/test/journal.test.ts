import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Bitfield } from '@codio-chunk/interface'
import { JournalWriter } from '../src/journal.js'
import type { JournalIo } from '../src/journal.js'
import { readJournal } from '../src/journal-reader.js'
import type { JournalContents } from '../src/journal-reader.js'
import { HEADER_SIZE, JournalCodec, RECORD_SIZE, RecordKind, encodeJournal, encodeRecords } from '../src/journal-format.js'
import type { RecordToWrite } from '../src/journal-format.js'

const KIND_NAMES: Record<number, string> = { [RecordKind.chunk]: 'chunk', [RecordKind.checkpoint]: 'checkpoint', [RecordKind.close]: 'close' }

/** A journal file in memory, written through a JournalIo, with every call logged. */
class MemoryJournal {
  bytes: Uint8Array
  codec: JournalCodec
  readonly events: string[] = []
  failNext: string | undefined
  readonly io: JournalIo

  constructor (withDataSync: boolean) {
    this.codec = JournalCodec.create()
    this.bytes = this.codec.header()
    this.io = {
      write: async (bytes, position, sync) => {
        await Promise.resolve()
        this.fail('write')
        const next = new Uint8Array(Math.max(this.bytes.length, position + bytes.length))
        next.set(this.bytes)
        next.set(bytes, position)
        this.bytes = next
        this.events.push(`write ${this.describe(position, bytes.length)}${sync ? ' + sync' : ''}`)
      },
      sync: async () => { this.events.push('sync journal') },
      replace: async (bytes) => {
        await Promise.resolve()
        this.fail('replace')
        const codec = JournalCodec.fromHeader(bytes)
        if (codec === undefined) throw new Error('replace was given no header')
        this.bytes = bytes
        this.codec = codec
        this.events.push(`replace with ${this.describe(HEADER_SIZE, bytes.length - HEADER_SIZE)}`)
      },
      syncData: withDataSync ? async () => { this.events.push('sync data') } : undefined
    }
  }

  private fail (what: string): void {
    if (this.failNext !== what) return
    this.failNext = undefined
    throw new Error('disk full')
  }

  /** Records `position .. position + length` as "chunk 5, chunk 6, checkpoint 2". */
  describe (position: number, length: number): string {
    const out: string[] = []
    for (let p = position; p < position + length; p += RECORD_SIZE) {
      const record = this.codec.decode(this.bytes, p, (p - HEADER_SIZE) / RECORD_SIZE)
      out.push(record === undefined ? 'DAMAGED' : `${KIND_NAMES[record.kind]} ${record.value}`)
    }
    return out.join(', ')
  }
}

const writerOf = (journal: MemoryJournal, recorded = new Bitfield(100), syncEach = false): JournalWriter =>
  new JournalWriter(journal.io, { codec: journal.codec, records: (journal.bytes.length - HEADER_SIZE) / RECORD_SIZE, syncEach, recorded })

describe('JournalWriter', () => {
  it('groups records that arrive during a write into the next write', async () => {
    const journal = new MemoryJournal(false)
    const writer = writerOf(journal)
    await Promise.all([writer.append(5), writer.append(6), writer.append(7)])
    expect(journal.events).toEqual(['write chunk 5', 'write chunk 6, chunk 7'])
    expect(journal.bytes.length).toBe(HEADER_SIZE + 3 * RECORD_SIZE)
  })

  it('with syncEach, ends every batch with a checkpoint covering it and fsyncs it; a failed batch keeps its place', async () => {
    const journal = new MemoryJournal(false)
    const writer = writerOf(journal, new Bitfield(100), true)
    journal.failNext = 'write'
    await expect(writer.append(1)).rejects.toThrow('disk full')
    await Promise.all([writer.append(2), writer.append(3), writer.append(4)])
    expect(journal.events).toEqual(['write chunk 2, checkpoint 1 + sync', 'write chunk 3, chunk 4, checkpoint 4 + sync'])
  })

  it('writes a checkpoint covering the records written before its mark, in turn with the appends, then fsyncs', async () => {
    const journal = new MemoryJournal(true)
    const writer = writerOf(journal)
    await writer.append(1)
    await writer.append(2)
    const mark = writer.mark()
    expect(mark.records).toBe(2)
    const later = writer.append(3) // written after the mark: not covered
    expect(await writer.checkpoint(mark)).toBe(true)
    await later
    await writer.checkpoint(writer.mark(), 'close')
    expect(journal.events).toEqual(['write chunk 1', 'write chunk 2', 'write chunk 3', 'write checkpoint 2', 'sync journal', 'write close 4', 'sync journal'])
  })

  it('writes no checkpoint for a mark taken before a rewrite, which covers its records itself', async () => {
    const journal = new MemoryJournal(true)
    const recorded = new Bitfield(10)
    const writer = writerOf(journal, recorded)
    await writer.append(1)
    const mark = writer.mark()
    await writer.remove([])
    expect(await writer.checkpoint(mark)).toBe(false)
    expect(journal.events).toEqual(['write chunk 1', 'sync data', 'replace with chunk 1, checkpoint 1'])
  })

  it('rewrites the journal without the removed records, under a new salt, in turn with the appends around it', async () => {
    const journal = new MemoryJournal(false) // fsync never: no checkpoint in the rewrite
    const recorded = new Bitfield(10)
    const writer = writerOf(journal, recorded)
    await Promise.all([writer.append(1), writer.append(2), writer.append(3)])
    const salt = journal.codec.salt
    expect(writer.busy).toBe(false)
    await Promise.all([writer.append(4), writer.append(5), writer.remove([2]), writer.remove([4]), writer.append(6)])
    await writer.append(7)
    expect(journal.events.slice(2)).toEqual([
      'write chunk 4',
      'write chunk 5', // asked for before the removal: written before it
      'replace with chunk 1, chunk 3, chunk 5',
      'write chunk 6',
      'write chunk 7'
    ])
    expect(journal.codec.salt).not.toBe(salt)
    expect([...recorded]).toEqual([1, 3, 5, 6, 7])
    expect(writer.busy).toBe(false)
    await writer.idle()
  })

  it('keeps its place after a failed rewrite, so the records are removed by the next one', async () => {
    const journal = new MemoryJournal(false)
    const writer = writerOf(journal, Bitfield.full(2))
    journal.failNext = 'replace'
    await expect(writer.remove([0])).rejects.toThrow('disk full')
    await writer.append(1)
    await writer.remove([])
    expect(journal.events).toEqual(['write chunk 1', 'replace with chunk 1'])
  })
})

describe('readJournal', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'codio-journal-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  async function read (bytes: Uint8Array, chunkCount = 50_000): Promise<JournalContents> {
    const path = join(dir, 'have')
    await writeFile(path, bytes)
    const handle = await open(path, 'r')
    try {
      return await readJournal(handle, chunkCount)
    } finally {
      await handle.close()
    }
  }

  function journalOf (codec: JournalCodec, records: RecordToWrite[], tail = new Uint8Array(0)): Uint8Array {
    const body = encodeRecords(codec, 0, records)
    const bytes = new Uint8Array(HEADER_SIZE + body.length + tail.length)
    bytes.set(codec.header())
    bytes.set(body, HEADER_SIZE)
    bytes.set(tail, HEADER_SIZE + body.length)
    return bytes
  }

  const chunk = (value: number): RecordToWrite => ({ kind: RecordKind.chunk, value })
  const checkpoint = (value: number): RecordToWrite => ({ kind: RecordKind.checkpoint, value })
  const close = (value: number): RecordToWrite => ({ kind: RecordKind.close, value })

  it('reads records across read blocks and cuts a torn tail off', async () => {
    const codec = JournalCodec.create()
    const records = Array.from({ length: 20_000 }, (_, i) => chunk((i * 7) % 50_000)) // 240 000 bytes: several 64 KiB blocks
    const contents = await read(journalOf(codec, [...records, checkpoint(20_000)], new Uint8Array([1, 0, 0])))
    expect(contents.format).toBe('current')
    expect(contents.validLength).toBe(HEADER_SIZE + 20_001 * RECORD_SIZE)
    expect(contents.fileLength).toBe(contents.validLength + 3)
    expect(contents.records).toBe(20_001)
    expect(contents.have.count).toBe(20_000)
    expect(contents.unconfirmed).toEqual([])
    expect(contents.closedCleanly).toBe(false)
  })

  it('says which chunks were recorded after the point the last checkpoint covers, and whether it closed cleanly', async () => {
    const codec = JournalCodec.create()
    // Chunk 4's record precedes the checkpoint but came after its mark (written during its data sync).
    const unclean = await read(journalOf(codec, [chunk(1), chunk(2), chunk(3), chunk(4), checkpoint(3), chunk(5), chunk(9)]), 10)
    expect([...unclean.have]).toEqual([1, 2, 3, 4, 5, 9])
    expect(unclean.unconfirmed).toEqual([4, 5, 9])
    expect(unclean.closedCleanly).toBe(false)
    const clean = await read(journalOf(codec, [chunk(1), chunk(2), checkpoint(1), chunk(3), close(4)]), 10)
    expect(clean.unconfirmed).toEqual([])
    expect(clean.closedCleanly).toBe(true)
  })

  it('stops at the first record that fails its CRC: a flipped bit, a record of another journal, a record out of place', async () => {
    const codec = JournalCodec.create()
    const good = journalOf(codec, [chunk(1), checkpoint(1), chunk(2), chunk(3)])
    const flipped = good.slice()
    flipped[HEADER_SIZE + 2 * RECORD_SIZE + 5] ^= 0x01 // chunk 2's value
    const fromFlipped = await read(flipped, 10)
    expect([...fromFlipped.have]).toEqual([1])
    expect(fromFlipped.validLength).toBe(HEADER_SIZE + 2 * RECORD_SIZE)

    const other = journalOf(JournalCodec.create(), [chunk(7), chunk(8), chunk(9)])
    const stale = new Uint8Array([...good, ...other.subarray(HEADER_SIZE + 3 * RECORD_SIZE - RECORD_SIZE)]) // another file's record 2 as record 4
    expect((await read(stale, 10)).records).toBe(4)

    const swapped = good.slice()
    swapped.set(good.subarray(HEADER_SIZE + 3 * RECORD_SIZE, HEADER_SIZE + 4 * RECORD_SIZE), HEADER_SIZE + 2 * RECORD_SIZE)
    swapped.set(good.subarray(HEADER_SIZE + 2 * RECORD_SIZE, HEADER_SIZE + 3 * RECORD_SIZE), HEADER_SIZE + 3 * RECORD_SIZE)
    expect((await read(swapped, 10)).records).toBe(2)

    const zeroed = new Uint8Array([...good, ...new Uint8Array(3 * RECORD_SIZE)]) // a tail a power cut left as zeros
    const fromZeroed = await read(zeroed, 10)
    expect(fromZeroed.records).toBe(4)
    expect(fromZeroed.unconfirmed).toEqual([2, 3])
  })

  it('refuses a checkpoint that claims to cover records after it', async () => {
    const codec = JournalCodec.create()
    const contents = await read(journalOf(codec, [chunk(1), checkpoint(5), chunk(2)]), 10)
    expect(contents.records).toBe(1)
    expect(contents.unconfirmed).toEqual([1])
  })

  it('trusts nothing in a journal whose header is damaged', async () => {
    const bytes = encodeJournal(JournalCodec.create(), [1, 2, 3], true)
    bytes[9] ^= 0x40 // the salt
    const contents = await read(bytes, 10)
    expect(contents.format).toBe('none')
    expect(contents.have.count).toBe(0)
    expect(contents.validLength).toBe(0)
  })

  it('reads a journal of the earlier format (bare u32 indices) with every chunk unconfirmed', async () => {
    const bytes = new Uint8Array(4 * 3 + 2)
    const view = new DataView(bytes.buffer)
    view.setUint32(0, 4)
    view.setUint32(4, 1)
    view.setUint32(8, 99) // past the end of the content: ignored
    const contents = await read(bytes, 10)
    expect(contents.format).toBe('legacy')
    expect(contents.unconfirmed).toEqual([1, 4])
    expect(contents.validLength).toBe(12)
  })

  it('reads an empty file as no journal', async () => {
    const contents = await read(new Uint8Array(0), 10)
    expect(contents.format).toBe('none')
    expect(contents.fileLength).toBe(0)
  })
})
