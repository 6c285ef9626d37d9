// What is on disk: a real storage-fs store of a small content whose data, journal (`have`) or
// manifest file was truncated, zeroed, flipped, extended with junk, replaced by random bytes or
// removed, then opened again. Every chunk read and every part readContent yields is exactly the
// content's bytes, or the call is refused with a named error; never other bytes, never another
// exception, and each case finishes well within its time bound.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { buildManifest } from '@codio-chunk/content'
import type { Manifest, Storage } from '@codio-chunk/interface'
import { DATA_FILE, JOURNAL_FILE, MANIFEST_FILE, fsStorage } from '@codio-chunk/storage-fs'
import { cpuClock, fc, fuzz, refusesOnlyWithAsync } from '../src/fuzz.js'
import { mutate, mutation } from '../src/mutate.js'
import type { Mutation } from '../src/mutate.js'

const ALLOWED = ['NotFoundError', 'StorageError', 'InvalidManifestError', 'UnsupportedHashError']
/** A case reopens a store of a few KiB: anything near this much CPU time is runaway work. */
const CASE_CPU_MS = 2000
/** And anything this long in wall time is a hang (wide, so a busy machine does not trip it). */
const CASE_TIMEOUT_MS = 30_000
const FILES = [DATA_FILE, JOURNAL_FILE, MANIFEST_FILE] as const
type StoreFile = typeof FILES[number]

const base = await mkdtemp(join(tmpdir(), 'codio-fuzz-storage-fs-'))
afterAll(async () => { await rm(base, { recursive: true, force: true }) })

interface Pristine {
  manifest: Manifest
  bytes: Uint8Array
  /** The store's files as the storage left them. */
  files: Record<StoreFile, Uint8Array>
  /** Where each case lays the (mutated) files out again. */
  dir: string
}

/** Stores `stored` chunks of a content in a store of its own and keeps the files it wrote. */
async function pristine (name: string, size: number, cidVersion: 0 | 1, stored: number[]): Promise<Pristine> {
  const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 29 + size) & 0xff)
  const manifest = await buildManifest(bytes, { chunkSize: 1024, cidVersion })
  const dir = join(base, name)
  const storage = fsStorage({ dir, fsync: 'never' })()
  await storage.putManifest(manifest)
  for (const i of stored) await storage.putChunk(manifest.root, i, chunkOf(manifest, bytes, i))
  await storage.close()
  const folder = join(dir, manifest.root.toString())
  const files = {} as Record<StoreFile, Uint8Array>
  for (const file of FILES) files[file] = new Uint8Array(await readFile(join(folder, file)))
  return { manifest, bytes, files, dir }
}

const chunkOf = (manifest: Manifest, bytes: Uint8Array, i: number): Uint8Array =>
  bytes.subarray(manifest.chunkOffset(i), manifest.chunkOffset(i) + manifest.chunkLength(i))

// Raw leaves with two chunks never downloaded (the journal can be made to claim them), and a
// complete CIDv0 content (dag-pb leaves, rebuilt to be checked).
const stores = [
  await pristine('raw', 5 * 1024 + 300, 1, [0, 1, 2, 3]),
  await pristine('cidv0', 4 * 1024 - 100, 0, [0, 1, 2, 3])
]

interface FileChange { file: StoreFile, remove: boolean, mutations: Mutation[] }

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** Opens the store again and reads everything; throws on wrong bytes or an error not allowed. */
async function readBack (store: Pristine): Promise<void> {
  const { manifest, bytes } = store
  const root = manifest.root
  const storage: Storage = fsStorage({ dir: store.dir, fsync: 'never' })()
  try {
    const got = await refusesOnlyWithAsync(ALLOWED, async () => await storage.getManifest(root))
    if (got !== undefined && !equal(got.toBytes(), manifest.toBytes())) throw new Error('getManifest returned another manifest than the content\'s')
    await refusesOnlyWithAsync(ALLOWED, async () => await storage.completed(root))
    for (let i = 0; i < manifest.chunkCount; i++) {
      const chunk = await refusesOnlyWithAsync(ALLOWED, async () => await storage.getChunk(root, i))
      if (chunk !== undefined && !equal(chunk, chunkOf(manifest, bytes, i))) throw new Error(`getChunk(${i}) returned bytes that are not chunk ${i}`)
    }
    await refusesOnlyWithAsync(ALLOWED, async () => {
      let offset = 0
      for await (const part of storage.readContent?.(root) ?? []) {
        if (!equal(part, bytes.subarray(offset, offset + part.length))) throw new Error(`readContent yielded wrong bytes at offset ${offset}`)
        offset += part.length
      }
      if (offset !== bytes.length) throw new Error(`readContent ended at ${offset} of ${bytes.length} bytes without an error`)
    })
  } finally {
    await refusesOnlyWithAsync(ALLOWED, async () => { await storage.close() })
  }
}

async function withTimeout (work: Promise<void>): Promise<void> {
  const elapsed = cpuClock()
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`the case ran longer than ${CASE_TIMEOUT_MS} ms`)) }, CASE_TIMEOUT_MS) })
  try {
    await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
  const cpu = elapsed()
  if (cpu > CASE_CPU_MS) throw new Error(`the case took ${cpu.toFixed(0)} ms of CPU (more than ${CASE_CPU_MS})`)
}

describe('storage-fs files on disk', () => {
  it('a store whose files were damaged serves its content\'s exact bytes or named errors', async () => {
    const change = fc.record({
      file: fc.constantFrom(...FILES),
      remove: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }), // rarely: a missing file
      mutations: fc.array(mutation(64), { minLength: 1, maxLength: 3 })
    })
    const input = fc.record({ store: fc.nat({ max: stores.length - 1 }), changes: fc.array(change, { minLength: 1, maxLength: 2 }) })
    await fuzz('storage-fs-disk', input, async ({ store: which, changes }) => {
      const store = stores[which]
      const folder = join(store.dir, store.manifest.root.toString())
      const files = { ...store.files }
      const removed = new Set<StoreFile>()
      for (const { file, remove, mutations } of changes as FileChange[]) {
        if (remove) removed.add(file)
        else files[file] = mutate(files[file], mutations)
      }
      // Every file is laid out again (the last case's storage may have rewritten or resized it);
      // leftover temporary files are ignored by the storage.
      for (const file of FILES) {
        if (removed.has(file)) await rm(join(folder, file), { force: true })
        else await writeFile(join(folder, file), files[file])
      }
      await withTimeout(readBack(store))
    })
  })
})
