import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InvalidConfigError, NotFoundError, StorageError } from '@codio-chunk/interface'
import type { Storage } from '@codio-chunk/interface'
import { makeTestContent } from '@codio-chunk/interface-tests/storage'
import { fsStorage, DATA_FILE, JOURNAL_FILE, MANIFEST_FILE } from '../src/index.js'
import { realContent } from './real-content.js'
import { journalChunks, journalRecords } from './journal-file.js'
import { HEADER_SIZE, JournalCodec, RECORD_SIZE, RecordKind } from '../src/journal-format.js'
import type { FsStorageInit } from '../src/index.js'

const content = await realContent(10 * 1024 + 300, 1024, 5) // 11 chunks
const root = content.manifest.root
const key = root.toString()

let dir: string
const opened: Storage[] = []

const open = (init: Partial<FsStorageInit> = {}): Storage => {
  const storage = fsStorage({ dir, ...init })()
  opened.push(storage)
  return storage
}

const journalIndices = async (): Promise<number[]> => await journalChunks(join(dir, key, JOURNAL_FILE))

const indices = async (storage: Storage): Promise<number[]> => [...(await storage.completed(root)) ?? []]

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-storage-fs-'))
})

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map(async storage => { await storage.close() }))
  await rm(dir, { recursive: true, force: true })
})

describe('fsStorage layout', () => {
  it('keeps one folder per content with manifest, full-size data file and journal', async () => {
    const storage = open()
    expect(storage.name).toBe('fs')
    await storage.putManifest(content.manifest)
    expect(await readdir(dir)).toEqual([key])
    expect((await readdir(join(dir, key))).sort()).toEqual([DATA_FILE, JOURNAL_FILE, MANIFEST_FILE].sort())
    expect((await stat(join(dir, key, DATA_FILE))).size).toBe(content.bytes.byteLength)
    expect((await stat(join(dir, key, JOURNAL_FILE))).size).toBe(HEADER_SIZE) // no record yet
    expect(new Uint8Array(await readFile(join(dir, key, MANIFEST_FILE)))).toEqual(content.manifest.toBytes())
  })

  it('writes chunks in any order into place and journals each once, in completion order', async () => {
    const storage = open()
    await storage.putManifest(content.manifest)
    const order = [10, 3, 0, 7, 1, 9, 2, 8, 4, 6, 5]
    for (const index of order) await storage.putChunk(root, index, content.chunks[index])
    await storage.putChunk(root, 3, content.chunks[3]) // already stored: no new record
    await storage.close()
    expect(new Uint8Array(await readFile(join(dir, key, DATA_FILE)))).toEqual(new Uint8Array(content.bytes))
    expect(await journalIndices()).toEqual(order)
  })

  it('records a chunk once when the same chunk is put concurrently', async () => {
    const storage = open()
    await storage.putManifest(content.manifest)
    await Promise.all([0, 0, 0, 1, 1].map(async index => { await storage.putChunk(root, index, content.chunks[index]) }))
    expect((await journalIndices()).sort()).toEqual([0, 1])
  })

  it('removes the folder on delete', async () => {
    const storage = open()
    await storage.putManifest(content.manifest)
    await storage.putChunk(root, 0, content.chunks[0])
    await storage.delete(root)
    expect(await readdir(dir)).toEqual([])
  })

  it('stores a content added again after delete in fresh files', async () => {
    const storage = open()
    await storage.putManifest(content.manifest)
    await storage.putChunk(root, 0, content.chunks[0])
    await storage.delete(root)
    await storage.putManifest(content.manifest)
    await storage.putChunk(root, 1, content.chunks[1])
    await storage.close()
    const reopened = open()
    expect(await indices(reopened)).toEqual([1])
    expect(await reopened.getChunk(root, 1)).toEqual(new Uint8Array(content.chunks[1]))
    expect(await journalIndices()).toEqual([1])
  })

  it('lists only folders named by a CID that hold a manifest', async () => {
    const storage = open()
    await storage.putManifest(content.manifest)
    const other = makeTestContent(100, 1024, 9)
    await mkdir(join(dir, other.manifest.root.toString())) // a CID folder without a manifest
    await mkdir(join(dir, 'not-a-cid'))
    await mkdir(join(dir, 'bafyNOTAVALIDCID'))
    await writeFile(join(dir, 'stray-file'), 'x')
    expect((await storage.list()).map(id => id.toString())).toEqual([key])
    expect(await storage.getManifest(other.manifest.root)).toBeUndefined()
  })

  it('lists nothing when the directory does not exist yet', async () => {
    const storage = fsStorage({ dir: join(dir, 'not', 'yet') })()
    opened.push(storage)
    expect(await storage.list()).toEqual([])
  })
})

describe('fsStorage persistence', () => {
  for (const fsync of ['checkpoint', 'always', 'batch', 'never'] as const) {
    it(`reopens with the same manifest and chunks (fsync ${fsync})`, async () => {
      const first = open({ fsync, syncEvery: 3 })
      await first.putManifest(content.manifest)
      for (const index of [9, 1, 4, 0]) await first.putChunk(root, index, content.chunks[index])
      await first.close()

      const second = open({ fsync })
      const manifest = await second.getManifest(root)
      expect(manifest?.toBytes()).toEqual(content.manifest.toBytes())
      expect(await indices(second)).toEqual([0, 1, 4, 9])
      expect(await second.getChunk(root, 4)).toEqual(new Uint8Array(content.chunks[4]))
      await expect(second.getChunk(root, 2)).rejects.toThrow(NotFoundError)
      for (let i = 0; i < content.chunks.length; i++) await second.putChunk(root, i, content.chunks[i])
      const parts: Uint8Array[] = []
      for await (const part of second.readContent?.(root) ?? []) parts.push(part)
      expect(new Uint8Array(Buffer.concat(parts))).toEqual(new Uint8Array(content.bytes))
    })
  }

  it('resumes after a crash (no close) with exactly the chunks journalled', async () => {
    const crashed = open({ fsync: 'batch', syncEvery: 100 })
    await crashed.putManifest(content.manifest)
    for (const index of [2, 5, 7]) await crashed.putChunk(root, index, content.chunks[index])
    // A restarted process reads the directory while the first never closed.
    const restarted = open()
    expect(await indices(restarted)).toEqual([2, 5, 7])
    expect(await restarted.getChunk(root, 5)).toEqual(new Uint8Array(content.chunks[5]))
  })

  it('ignores a torn last journal record and appends after the last whole record', async () => {
    const first = open()
    await first.putManifest(content.manifest)
    await first.putChunk(root, 0, content.chunks[0])
    await first.putChunk(root, 6, content.chunks[6])
    await first.close() // two chunk records and a close record
    // A crash in the middle of appending the next record: five of its twelve bytes hit the disk.
    await appendFile(join(dir, key, JOURNAL_FILE), new Uint8Array([1, 0, 0, 0, 0]))

    const second = open()
    expect(await indices(second)).toEqual([0, 6])
    await second.putChunk(root, 3, content.chunks[3])
    await second.close()
    expect((await stat(join(dir, key, JOURNAL_FILE))).size).toBe(HEADER_SIZE + 5 * RECORD_SIZE)
    expect(await journalRecords(join(dir, key, JOURNAL_FILE))).toEqual([
      { kind: 'chunk', value: 0 }, { kind: 'chunk', value: 6 }, { kind: 'close', value: 2 }, { kind: 'chunk', value: 3 }, { kind: 'close', value: 4 }
    ])

    const third = open()
    expect(await indices(third)).toEqual([0, 3, 6])
  })

  it('ignores journal records for chunks past the end of the content', async () => {
    const first = open({ fsync: 'never' })
    await first.putManifest(content.manifest)
    await first.putChunk(root, 1, content.chunks[1])
    await first.putChunk(root, 10, content.chunks[10])
    await first.close()
    // Chunk 10's record, edited to name chunk 200 with its CRC fixed: an intact record of a chunk the content lacks.
    const path = join(dir, key, JOURNAL_FILE)
    const bytes = new Uint8Array(await readFile(path))
    const codec = JournalCodec.fromHeader(bytes) as JournalCodec
    codec.encodeInto(bytes, HEADER_SIZE + RECORD_SIZE, 1, RecordKind.chunk, 200)
    await writeFile(path, bytes)
    const second = open()
    expect(await indices(second)).toEqual([1])
  })

  it('recreates a missing data file and forgets the chunks it held', async () => {
    const first = open()
    await first.putManifest(content.manifest)
    await first.putChunk(root, 1, content.chunks[1])
    await first.close()
    await rm(join(dir, key, DATA_FILE))
    const second = open()
    expect(await indices(second)).toEqual([])
    expect((await stat(join(dir, key, DATA_FILE))).size).toBe(content.bytes.byteLength)
  })

  it('reports a corrupt manifest as a StorageError naming the file', async () => {
    const first = open()
    await first.putManifest(content.manifest)
    await first.close()
    await writeFile(join(dir, key, MANIFEST_FILE), 'garbage')
    const second = open()
    await expect(second.getManifest(root)).rejects.toThrow(StorageError)
    await expect(second.getManifest(root)).rejects.toThrow(join(dir, key, MANIFEST_FILE))
  })
})

describe('fsStorage caches', () => {
  it('works with more contents than open handles and cached contents', async () => {
    const contents = await Promise.all([1, 2, 3, 4, 5].map(async seed => await realContent(3000, 1024, seed)))
    const storage = open({ maxOpenFiles: 2, maxCachedContents: 1, syncEvery: 2 })
    for (const c of contents) await storage.putManifest(c.manifest)
    // Interleave writes across contents so handles and states are evicted and reloaded constantly.
    await Promise.all(contents.flatMap(c => c.chunks.map(async (chunk, i) => { await storage.putChunk(c.manifest.root, i, chunk) })))
    for (const c of contents) {
      for (let i = 0; i < c.chunks.length; i++) {
        expect(await storage.getChunk(c.manifest.root, i)).toEqual(new Uint8Array(c.chunks[i]))
      }
    }
    await storage.close()
    const reopened = open()
    for (const c of contents) expect((await reopened.completed(c.manifest.root))?.complete).toBe(true)
  })
})

describe('fsStorage errors', () => {
  it('rejects bad options with InvalidConfigError', () => {
    expect(() => fsStorage({ dir: '' })()).toThrow(InvalidConfigError)
    expect(() => fsStorage({ dir, fsync: 'sometimes' as 'never' })()).toThrow(InvalidConfigError)
    expect(() => fsStorage({ dir, syncEvery: 0 })()).toThrow(InvalidConfigError)
    expect(() => fsStorage({ dir, maxOpenFiles: 1.5 })()).toThrow(InvalidConfigError)
  })

  it('wraps file-system failures in StorageError naming the path, with the cause chained', async () => {
    const file = join(dir, 'a-file')
    await writeFile(file, 'x')
    const storage = fsStorage({ dir: file })()
    opened.push(storage)
    const err = await storage.putManifest(content.manifest).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StorageError)
    expect((err as StorageError).message).toContain(join(file, key))
    expect((err as StorageError).cause).toMatchObject({ code: 'ENOTDIR' })
  })

  it('rejects a chunk of the wrong length with RangeError', async () => {
    const storage = open()
    await storage.putManifest(content.manifest)
    await expect(storage.putChunk(root, 10, new Uint8Array(1024))).rejects.toThrow(RangeError)
    expect(await journalIndices()).toEqual([])
  })

  it('names the missing chunk count when reading an incomplete content', async () => {
    const storage = open()
    await storage.putManifest(content.manifest)
    await storage.putChunk(root, 0, content.chunks[0])
    const read = async (): Promise<void> => { for await (const _ of storage.readContent?.(root) ?? []) { /* drain */ } }
    await expect(read()).rejects.toThrow(/missing 10 of 11 chunks/)
  })

  it('rejects use after close with StorageError', async () => {
    const storage = open()
    await storage.putManifest(content.manifest)
    await storage.close()
    await expect(storage.getChunk(root, 0)).rejects.toThrow(StorageError)
    await storage.close() // twice is fine
  })
})
