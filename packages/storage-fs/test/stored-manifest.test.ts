import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ContentMismatchError, InvalidManifestError, StorageError } from '@codio-chunk/interface'
import type { Storage } from '@codio-chunk/interface'
import type { TestContent } from '@codio-chunk/interface-tests/storage'
import { fsStorage, DATA_FILE, MANIFEST_FILE } from '../src/index.js'
import { contentOf, realContent } from './real-content.js'

let dir: string
const opened: Storage[] = []

const open = (): Storage => {
  const storage = fsStorage({ dir })()
  opened.push(storage)
  return storage
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-storage-fs-manifest-'))
})

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map(async storage => { await storage.close() }))
  await rm(dir, { recursive: true, force: true })
})

async function stored (content: TestContent): Promise<void> {
  const storage = fsStorage({ dir })()
  await storage.putManifest(content.manifest)
  for (let i = 0; i < content.chunks.length; i++) await storage.putChunk(content.manifest.root, i, content.chunks[i])
  await storage.close()
}

const manifestPath = (content: TestContent): string => join(dir, content.manifest.root.toString(), MANIFEST_FILE)

/** Offset of chunk `index`'s size in the stored form of a CIDv1 manifest (36-byte CIDs). */
const sizeAt = (index: number): number => 4 + 1 + 1 + 36 + 4 + index * (1 + 36 + 4) + 1 + 36

async function editManifest (content: TestContent, edit: (bytes: Buffer) => void): Promise<void> {
  const bytes = await readFile(manifestPath(content))
  edit(bytes)
  await writeFile(manifestPath(content), bytes)
}

/** What a call rejects with within `ms` (a named error is expected well before). */
async function refusal (call: () => Promise<unknown>, ms = 1000): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`still running after ${ms} ms`)) }, ms) })
  try {
    await Promise.race([call(), late])
  } catch (err) {
    return err
  } finally {
    clearTimeout(timer)
  }
  return undefined
}

const drain = (storage: Storage, content: TestContent) => async (): Promise<void> => {
  for await (const _ of storage.readContent?.(content.manifest.root) ?? []) { /* drain */ }
}

describe('fsStorage checks a stored manifest against its content id when it opens a content', () => {
  it('refuses a chunk length edited to 1 GiB at once, with a StorageError caused by InvalidManifestError, and leaves the data file alone', async () => {
    const content = await realContent(10 * 1024 + 300, 1024, 5)
    await stored(content)
    await editManifest(content, bytes => { bytes.writeUInt32BE(2 ** 30, sizeAt(0)) })
    const storage = open()
    for (const call of [async () => await storage.getManifest(content.manifest.root), async () => await storage.getChunk(content.manifest.root, 0)]) {
      const err = await refusal(call)
      expect(err).toBeInstanceOf(StorageError)
      expect((err as Error).message).toContain(manifestPath(content))
      expect((err as Error).cause).toBeInstanceOf(InvalidManifestError)
    }
    expect((await stat(join(dir, content.manifest.root.toString(), DATA_FILE))).size).toBe(content.bytes.length)
  })

  it('refuses within a second a manifest whose last chunk claims 4 GiB, instead of streaming 4 GiB of zeros', async () => {
    const content = await realContent(10 * 1024 + 300, 1024, 5)
    await stored(content)
    await editManifest(content, bytes => { bytes.writeUInt32BE(0xffffffff, sizeAt(10)) })
    const storage = open()
    const err = await refusal(drain(storage, content))
    expect(err).toBeInstanceOf(StorageError)
    expect((err as Error).cause).toBeInstanceOf(InvalidManifestError)
  })

  it('refuses chunk sizes and CIDs the stored DAG does not give, and blocks that do not hash to their CIDs', async () => {
    const content = await realContent(10 * 1024 + 300, 1024, 5)
    await stored(content)
    const original = await readFile(manifestPath(content))

    await editManifest(content, bytes => { bytes.writeUInt32BE(1000, sizeAt(3)) }) // plausible, but not what the DAG says
    let err = await refusal(async () => await open().completed(content.manifest.root))
    expect((err as Error).cause).toBeInstanceOf(InvalidManifestError)
    expect((err as Error).message).toMatch(/chunk 3 as 1000 bytes/)

    await writeFile(manifestPath(content), original)
    await editManifest(content, bytes => { bytes[sizeAt(4) - 5] ^= 1 }) // a digest byte of chunk 4's CID
    err = await refusal(async () => await open().completed(content.manifest.root))
    expect((err as Error).cause).toBeInstanceOf(InvalidManifestError)

    await writeFile(manifestPath(content), original)
    await editManifest(content, bytes => { bytes[bytes.length - 3] ^= 1 }) // inside the root block
    err = await refusal(async () => await open().completed(content.manifest.root))
    expect(err).toBeInstanceOf(StorageError)
    expect((err as Error).cause).toBeInstanceOf(ContentMismatchError)

    await writeFile(manifestPath(content), original)
    expect([...(await open().completed(content.manifest.root)) ?? []].length).toBe(11)
  })

  it('opens the manifests of every shape ipfs add makes', async () => {
    const shapes: Array<[string, TestContent]> = [
      ['empty', await realContent(0, 1024, 1)],
      ['one raw chunk', await realContent(700, 1024, 2)],
      ['one CIDv0 chunk', await realContent(700, 1024, 3, 0)],
      ['CIDv0, several chunks', await realContent(5000, 1024, 4, 0)],
      ['two levels (more than 174 chunks)', await realContent(200 * 1024 + 1, 1024, 5)],
      ['two levels, CIDv0', await realContent(180 * 1024, 1024, 6, 0)],
      ['all zeros (repeated leaves and interior nodes)', await contentOf(new Uint8Array(400 * 1024), 1024)]
    ]
    for (const [shape, content] of shapes) {
      await stored(content)
      const storage = open()
      const manifest = await storage.getManifest(content.manifest.root)
      expect(manifest?.toBytes(), shape).toEqual(content.manifest.toBytes())
      expect((await storage.completed(content.manifest.root))?.complete, shape).toBe(true)
      const parts: Uint8Array[] = []
      for await (const part of storage.readContent?.(content.manifest.root) ?? []) parts.push(part)
      expect(Buffer.concat(parts).equals(Buffer.from(content.bytes)), shape).toBe(true)
    }
  })
})
