import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Bitfield } from '@codio-chunk/interface'
import { JournalWriter, readJournal } from '../src/journal.js'
import type { JournalReplace, JournalSink } from '../src/journal.js'

const records = (bytes: Uint8Array): number[] => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: number[] = []
  for (let p = 0; p < bytes.length; p += 4) out.push(view.getUint32(p))
  return out
}

describe('JournalWriter', () => {
  it('groups records that arrive during a write into the next write', async () => {
    const writes: Array<{ records: number[], position: number, sync: boolean }> = []
    const sink: JournalSink = async (bytes, position, sync) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      const records: number[] = []
      for (let p = 0; p < bytes.length; p += 4) records.push(view.getUint32(p))
      writes.push({ records, position, sync })
      await Promise.resolve()
    }
    const writer = new JournalWriter(sink, 8, false)
    await Promise.all([writer.append(5), writer.append(6), writer.append(7), writer.sync()])
    expect(writes).toEqual([
      { records: [5], position: 8, sync: false },
      { records: [6, 7], position: 12, sync: true }
    ])
  })

  it('syncs every batch when syncEach is set, and rejects a failed batch without losing its place', async () => {
    const positions: number[] = []
    let fail = true
    const sink: JournalSink = async (_bytes, position, sync) => {
      expect(sync).toBe(true)
      positions.push(position)
      if (fail) { fail = false; throw new Error('disk full') }
    }
    const writer = new JournalWriter(sink, 0, true)
    await expect(writer.append(1)).rejects.toThrow('disk full')
    await writer.append(2)
    expect(positions).toEqual([0, 0])
  })
})

describe('JournalWriter.remove', () => {
  it('rewrites the journal without the removed records, in turn with the appends around it', async () => {
    const events: string[] = []
    const sink: JournalSink = async (bytes, position) => {
      events.push(`append ${records(bytes).join(',')} at ${position}`)
      await Promise.resolve()
    }
    const replace: JournalReplace = async (bytes) => {
      events.push(`replace with ${records(bytes).join(',')}`)
      await Promise.resolve()
    }
    const recorded = new Bitfield(10)
    for (const index of [1, 2, 3]) recorded.set(index)
    const writer = new JournalWriter(sink, 12, false, { recorded, replace })
    expect(writer.busy).toBe(false)
    await Promise.all([writer.append(4), writer.append(5), writer.remove([2]), writer.remove([4]), writer.append(6)])
    await writer.append(7)
    expect(events).toEqual([
      'append 4 at 12',
      'append 5 at 16', // asked for before the removal: written before it
      'replace with 1,3,5',
      'append 6 at 12', // after the rewritten journal's 3 records
      'append 7 at 16'
    ])
    expect([...recorded]).toEqual([1, 3, 5, 6, 7])
    expect(writer.busy).toBe(false)
    await writer.idle()
  })

  it('keeps its place after a failed rewrite, so the records are removed by the next one', async () => {
    let fail = true
    const replaced: number[][] = []
    const positions: number[] = []
    const writer = new JournalWriter(async (_bytes, position) => { positions.push(position) }, 8, false, {
      recorded: Bitfield.full(2),
      replace: async (bytes) => {
        if (fail) { fail = false; throw new Error('disk full') }
        replaced.push(records(bytes))
      }
    })
    await expect(writer.remove([0])).rejects.toThrow('disk full')
    await writer.append(1)
    await writer.remove([])
    expect(positions).toEqual([8])
    expect(replaced).toEqual([[1]])
  })
})

describe('readJournal', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'codio-journal-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('reads whole records across read blocks and reports a torn tail', async () => {
    const path = join(dir, 'have')
    const records = 40_000 // 160 000 bytes: several 64 KiB blocks
    const bytes = Buffer.alloc(records * 4 + 3)
    for (let i = 0; i < records; i++) bytes.writeUInt32BE((i * 7) % 50_000, i * 4)
    const handle = await open(path, 'w+')
    try {
      await handle.write(bytes, 0, bytes.length, 0)
      const { have, validLength, fileLength } = await readJournal(handle, 50_000)
      expect(fileLength).toBe(records * 4 + 3)
      expect(validLength).toBe(records * 4)
      expect(have.count).toBe(records)
      expect(have.get(7)).toBe(true)
      expect(have.get(30_000)).toBe(false) // 7 * 40_000 % 50_000: the first index never written
    } finally {
      await handle.close()
    }
  })
})
