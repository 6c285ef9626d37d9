import { mkdtemp, open, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StorageError } from '@codio-chunk/interface'
import { ChunkWriter } from '../src/chunk-writer.js'
import { readFullyAt, writevFully } from '../src/file-io.js'

/** A write function that records its calls and completes them only when told to. */
function manualWrites (): { write: (parts: Uint8Array[], position: number) => Promise<void>, calls: Array<{ position: number, lengths: number[], finish: (err?: Error) => void }> } {
  const calls: Array<{ position: number, lengths: number[], finish: (err?: Error) => void }> = []
  return {
    calls,
    write: async (parts, position) => {
      await new Promise<void>((resolve, reject) => {
        calls.push({ position, lengths: parts.map(p => p.byteLength), finish: (err) => { if (err === undefined) resolve(); else reject(err) } })
      })
    }
  }
}

const tick = async (): Promise<void> => { await new Promise<void>((resolve) => { setImmediate(resolve) }) }
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

describe('ChunkWriter', () => {
  it('keeps at most two writes in flight and writes waiting neighbours together, oldest first', async () => {
    const { write, calls } = manualWrites()
    const writer = new ChunkWriter(write)
    const done: number[] = []
    const put = (position: number): Promise<void> => writer.write(bytes(100, position / 100), position).then(() => { done.push(position) })
    const all = [put(500), put(0), put(300), put(200), put(900), put(400)]
    await tick()
    // 500 and 0 went out at once; 300, 200, 400 (adjacent) wait and leave as one write, then 900.
    expect(calls.map(c => c.position)).toEqual([500, 0])
    expect(writer.waitingCount).toBe(4)
    calls[1].finish()
    await tick()
    expect(calls.map(c => [c.position, c.lengths.length])).toEqual([[500, 1], [0, 1], [200, 3]])
    calls[0].finish()
    await tick()
    expect(calls[3].position).toBe(900)
    calls[2].finish()
    calls[3].finish()
    await Promise.all(all)
    expect(done).toEqual([0, 500, 200, 300, 400, 900])
  })

  it('rejects only the writes of the run that failed', async () => {
    const { write, calls } = manualWrites()
    const writer = new ChunkWriter(write, 1)
    const first = writer.write(bytes(10, 1), 0)
    const second = writer.write(bytes(10, 2), 100)
    await tick()
    calls[0].finish(new Error('EIO'))
    await expect(first).rejects.toThrow('EIO')
    await tick()
    calls[1].finish()
    await expect(second).resolves.toBeUndefined()
  })
})

describe('positional file I/O', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'codio-file-io-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('writes parts back to back at a position and reads them back; a short file is a StorageError', async () => {
    const path = join(dir, 'data')
    const handle = await open(path, 'w+')
    try {
      await handle.truncate(16)
      await writevFully(handle.fd, [bytes(3, 1), new Uint8Array(0), bytes(5, 2)], 4)
      expect([...await readFile(path)]).toEqual([0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 0, 0, 0, 0])
      const target = new Uint8Array(8)
      await readFullyAt(handle.fd, target, 4, path)
      expect([...target]).toEqual([1, 1, 1, 2, 2, 2, 2, 2])
      await expect(readFullyAt(handle.fd, new Uint8Array(8), 12, path)).rejects.toBeInstanceOf(StorageError)
    } finally {
      await handle.close()
    }
  })
})
