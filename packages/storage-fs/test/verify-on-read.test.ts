import { createHash } from 'node:crypto'
import { mkdtemp, open as openFile, rm, truncate } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildManifest } from '@codio-chunk/content'
import { NotFoundError, UnsupportedHashError } from '@codio-chunk/interface'
import type { Storage, Verifier } from '@codio-chunk/interface'
import { createComponents } from '@codio-chunk/protocol'
import { testBytes } from '@codio-chunk/interface-tests/storage'
import type { TestContent } from '@codio-chunk/interface-tests/storage'
import { fsStorage, DATA_FILE, JOURNAL_FILE } from '../src/index.js'
import { realContent } from './real-content.js'
import { journalChunks } from './journal-file.js'

let dir: string
const opened: Storage[] = []

const open = (components?: Parameters<ReturnType<typeof fsStorage>>[0]): Storage => {
  const storage = fsStorage({ dir })(components)
  opened.push(storage)
  return storage
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-storage-fs-verify-'))
})

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map(async storage => { await storage.close() }))
  await rm(dir, { recursive: true, force: true })
})

/** Stores `indices` of `content` (all by default) and closes the storage. */
async function stored (content: TestContent, indices = content.chunks.map((_, i) => i)): Promise<void> {
  const storage = fsStorage({ dir })()
  await storage.putManifest(content.manifest)
  for (const index of indices) await storage.putChunk(content.manifest.root, index, content.chunks[index])
  await storage.close()
}

const dataPath = (content: TestContent): string => join(dir, content.manifest.root.toString(), DATA_FILE)

/** Flips one byte of chunk `index` in the data file, as a disk fault or an editor would. */
async function flipByte (content: TestContent, index: number, at = 7): Promise<void> {
  const handle = await openFile(dataPath(content), 'r+')
  try {
    const position = content.manifest.chunkOffset(index) + at
    const byte = new Uint8Array(1)
    await handle.read(byte, 0, 1, position)
    byte[0] ^= 0x5a
    await handle.write(byte, 0, 1, position)
  } finally {
    await handle.close()
  }
}

const journal = async (content: TestContent): Promise<number[]> =>
  (await journalChunks(join(dir, content.manifest.root.toString(), JOURNAL_FILE))).sort((a, b) => a - b)

const indices = async (storage: Storage, content: TestContent): Promise<number[]> => [...(await storage.completed(content.manifest.root)) ?? []]

const all = (n: number, ...except: number[]): number[] => [...Array(n).keys()].filter(i => !except.includes(i))

async function drain (storage: Storage, content: TestContent): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = []
  for await (const part of storage.readContent?.(content.manifest.root) ?? []) parts.push(part)
  return parts
}

/** A SHA-256 verifier that counts its calls and inputs. */
function countingSha256 (code = 0x12, name = 'sha2-256'): Verifier & { calls: number, inputs: number } {
  const hash = (bytes: Uint8Array): Uint8Array => createHash('sha256').update(bytes).digest()
  const verifier = {
    name,
    code,
    digestLength: 32,
    calls: 0,
    inputs: 0,
    digest: hash,
    digestMany: async (inputs: readonly Uint8Array[]) => {
      verifier.calls++
      verifier.inputs += inputs.length
      return inputs.map(hash)
    }
  }
  return verifier
}

describe('fsStorage checks chunks read back from disk', () => {
  it('drops a chunk whose bytes were changed on disk: NotFoundError, gone from completed() and from the journal', async () => {
    const content = await realContent(10 * 1024 + 300, 1024, 5) // 11 chunks
    await stored(content)
    await flipByte(content, 3)

    const storage = open()
    expect(await indices(storage, content)).toEqual(all(11)) // not read yet, so not checked yet
    const err = await storage.getChunk(content.manifest.root, 3).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotFoundError)
    expect((err as Error).message).toMatch(/chunk 3 .*failed verification.*dropped.*download the content again/i)
    expect(await indices(storage, content)).toEqual(all(11, 3))
    expect(await journal(content)).toEqual(all(11, 3))
    await expect(storage.getChunk(content.manifest.root, 3)).rejects.toThrow(/not stored yet/)
    expect(new Uint8Array(await storage.getChunk(content.manifest.root, 4))).toEqual(new Uint8Array(content.chunks[4]))
    await storage.close()

    // Dropped for good; downloading it again repairs it.
    const reopened = open()
    expect(await indices(reopened, content)).toEqual(all(11, 3))
    await reopened.putChunk(content.manifest.root, 3, content.chunks[3])
    expect(new Uint8Array(await reopened.getChunk(content.manifest.root, 3))).toEqual(new Uint8Array(content.chunks[3]))
    expect(Buffer.concat(await drain(reopened, content)).equals(Buffer.from(content.bytes))).toBe(true)
  })

  it('never yields a corrupt chunk from readContent: it rejects with NotFoundError there and drops it', async () => {
    const content = await realContent(3 * 1024 * 1024 + 5000, 256 * 1024, 8) // 13 chunks, four per read
    await stored(content)
    await flipByte(content, 9, 1000)

    const storage = open()
    const parts: Uint8Array[] = []
    const err = await (async () => { for await (const part of storage.readContent?.(content.manifest.root) ?? []) parts.push(part) })().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotFoundError)
    expect((err as Error).message).toMatch(/chunk 9 .*failed verification/i)
    const yielded = Buffer.concat(parts)
    expect(yielded.length).toBeLessThanOrEqual(content.manifest.chunkOffset(9))
    expect(yielded.equals(Buffer.from(content.bytes.subarray(0, yielded.length)))).toBe(true)
    expect(await indices(storage, content)).toEqual(all(13, 9))
    await expect(drain(storage, content)).rejects.toThrow(/missing 1 of 13 chunks/)
  })

  it('drops, when opening, the chunks past the end of a data file cut short, and checks the zeroed or changed rest when read', async () => {
    const content = await realContent(10 * 1024 + 300, 1024, 6) // 11 chunks
    await stored(content)
    await truncate(dataPath(content), content.manifest.chunkOffset(7) + 100) // chunk 7 half there

    const storage = open()
    expect(await indices(storage, content)).toEqual(all(7))
    expect(await journal(content)).toEqual(all(7))
    for (const index of all(7)) expect(new Uint8Array(await storage.getChunk(content.manifest.root, index))).toEqual(new Uint8Array(content.chunks[index]))
    await storage.close()

    const zeroed = await realContent(4 * 1024, 1024, 7)
    await stored(zeroed)
    const handle = await openFile(dataPath(zeroed), 'r+')
    await handle.write(new Uint8Array(1500), 0, 1500, 1024) // chunk 1 and half of chunk 2
    await handle.close()
    const second = open()
    await expect(second.getChunk(zeroed.manifest.root, 1)).rejects.toThrow(NotFoundError)
    await expect(second.getChunk(zeroed.manifest.root, 2)).rejects.toThrow(NotFoundError)
    expect(await indices(second, zeroed)).toEqual([0, 3])
  })

  it('checks CIDv0 chunks against the dag-pb leaf block they travel in', async () => {
    const content = await realContent(5 * 1024, 1024, 9, 0)
    expect(content.manifest.root.toString()).toMatch(/^Qm/)
    await stored(content)
    await flipByte(content, 2)
    const storage = open()
    expect(new Uint8Array(await storage.getChunk(content.manifest.root, 1))).toEqual(new Uint8Array(content.chunks[1]))
    await expect(storage.getChunk(content.manifest.root, 2)).rejects.toThrow(/failed verification/)
    expect(await indices(storage, content)).toEqual([0, 1, 3, 4])
  })

  it('hashes with the node\'s verifier, once per chunk after opening, in one batch per read of readContent, and not at all for chunks it wrote', async () => {
    const content = await realContent(8 * 1024, 1024, 10) // 8 chunks: one read of readContent
    const verifier = countingSha256()
    const writer = open(createComponents({ verifiers: [verifier] }))
    await writer.putManifest(content.manifest)
    for (let i = 0; i < 8; i++) await writer.putChunk(content.manifest.root, i, content.chunks[i])
    await writer.getChunk(content.manifest.root, 0)
    await drain(writer, content)
    expect(verifier.calls).toBe(0) // written in this session: verified by the engine already
    await writer.close()

    const reader = open(createComponents({ verifiers: [verifier] }))
    await reader.getChunk(content.manifest.root, 5)
    await reader.getChunk(content.manifest.root, 5)
    expect([verifier.calls, verifier.inputs]).toEqual([2, 2]) // the manifest's one block, then chunk 5 once
    expect(Buffer.concat(await drain(reader, content)).equals(Buffer.from(content.bytes))).toBe(true)
    expect([verifier.calls, verifier.inputs]).toEqual([3, 9]) // the 7 others in one batch
    await drain(reader, content)
    expect(verifier.calls).toBe(3)
  })

  it('refuses to read chunks of a hash it has no verifier for with UnsupportedHashError saying what to add', async () => {
    const fakeBlake3 = countingSha256(0x1e, 'blake3')
    const bytes = testBytes(3 * 1024, 11)
    const manifest = await buildManifest(bytes, { chunkSize: 1024, verifier: fakeBlake3 })
    const content: TestContent = { bytes, manifest, chunks: [0, 1, 2].map(i => bytes.subarray(i * 1024, (i + 1) * 1024)) }
    const writer = open(createComponents({ verifiers: [fakeBlake3] }))
    await writer.putManifest(manifest)
    for (let i = 0; i < 3; i++) await writer.putChunk(manifest.root, i, content.chunks[i])
    await writer.close()

    const without = open()
    expect(await indices(without, content)).toEqual([0, 1, 2]) // the manifest's structure checks out
    const err = await without.getChunk(manifest.root, 1).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnsupportedHashError)
    expect((err as Error).message).toMatch(/0x1e.*blake3Verifier\(\) from @codio-chunk\/verifier-blake3/)
    await expect(drain(without, content)).rejects.toThrow(UnsupportedHashError)
    expect(await indices(without, content)).toEqual([0, 1, 2]) // nothing dropped
    await without.close()

    const withIt = open(createComponents({ verifiers: [fakeBlake3] }))
    expect(new Uint8Array(await withIt.getChunk(manifest.root, 1))).toEqual(new Uint8Array(content.chunks[1]))
  })

  it('keeps the journal records of chunks written while a corrupt chunk is dropped', async () => {
    const content = await realContent(10 * 1024 + 300, 1024, 12) // 11 chunks
    await stored(content, [0, 1, 2, 3, 4, 5])
    await flipByte(content, 2)
    const storage = open()
    const reads = [storage.getChunk(content.manifest.root, 2), storage.getChunk(content.manifest.root, 2)]
    const writes = [6, 7, 8, 9, 10].map(async i => { await storage.putChunk(content.manifest.root, i, content.chunks[i]) })
    const results = await Promise.allSettled([...reads, ...writes])
    expect(results.slice(0, 2).map(r => r.status === 'rejected' && (r.reason as Error).name)).toEqual(['NotFoundError', 'NotFoundError'])
    expect(results.slice(2).every(r => r.status === 'fulfilled')).toBe(true)
    await storage.close()
    expect(await journal(content)).toEqual(all(11, 2))
    const reopened = open()
    expect(await indices(reopened, content)).toEqual(all(11, 2))
  })
})
