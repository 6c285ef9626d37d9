import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { buildManifest } from '@codio-chunk/content'
import { testBytes } from '@codio-chunk/interface-tests/storage'
import { fsStorage } from '../src/index.js'

const MiB = 1024 * 1024
const CHUNK = 256 * 1024
const SIZE = 64 * MiB
const COUNT = SIZE / CHUNK

/** Chunk `i` of the test content, made afresh each time so the test never holds the content. */
const chunkAt = (i: number): Uint8Array => testBytes(CHUNK, i + 1)

function * chunks (): Generator<Uint8Array> {
  for (let i = 0; i < COUNT; i++) yield chunkAt(i)
}

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-storage-fs-large-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

it('writes and reads back a 64 MiB content chunk by chunk and streamed, with bounded memory', async () => {
  const manifest = await buildManifest(chunks(), { chunkSize: CHUNK })
  const expected = createHash('sha256')
  for (const chunk of chunks()) expected.update(chunk)
  const expectedHex = expected.digest('hex')

  const baseline = process.memoryUsage().rss
  let peak = baseline
  const sample = (): void => { peak = Math.max(peak, process.memoryUsage().rss) }

  const storage = fsStorage({ dir })()
  await storage.putManifest(manifest)
  // Out of order: odd chunks first, then even ones, a few at a time.
  const order = [...Array(COUNT).keys()].sort((a, b) => (a % 2) - (b % 2) || a - b)
  for (let i = 0; i < order.length; i += 4) {
    await Promise.all(order.slice(i, i + 4).map(async index => { await storage.putChunk(manifest.root, index, chunkAt(index)) }))
    sample()
  }
  await storage.close()

  const reopened = fsStorage({ dir })()
  expect((await reopened.completed(manifest.root))?.complete).toBe(true)

  const byChunk = createHash('sha256')
  for (let i = 0; i < COUNT; i++) {
    const chunk = await reopened.getChunk(manifest.root, i)
    expect(chunk.byteLength).toBe(CHUNK)
    byChunk.update(chunk)
    if (i % 16 === 0) sample()
  }
  expect(byChunk.digest('hex')).toBe(expectedHex)

  const streamed = createHash('sha256')
  let streamedBytes = 0
  let largestRead = 0
  for await (const part of reopened.readContent?.(manifest.root) ?? []) {
    streamed.update(part)
    streamedBytes += part.byteLength
    largestRead = Math.max(largestRead, part.byteLength)
    sample()
  }
  await reopened.close()
  expect(streamedBytes).toBe(SIZE)
  expect(largestRead).toBeLessThanOrEqual(MiB)
  expect(streamed.digest('hex')).toBe(expectedHex)

  // Generous margin (about 2-20 MiB is typical; garbage collection timing varies), while holding
  // the content would add at least 64 MiB.
  expect(peak - baseline).toBeLessThan(SIZE * 0.75)
})
