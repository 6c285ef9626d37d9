import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { JournalWriter, readJournal } from '../src/journal.js'
import type { JournalSink } from '../src/journal.js'

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
