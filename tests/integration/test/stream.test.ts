// ChunkDistributor.streamContent over TCP on loopback: bytes flow in order as chunks verify, ranges,
// readers sharing one download, readers that stop, content held locally, and the errors.
import { afterEach, describe, expect, it } from 'vitest'
import { NoProvidersError, READ_WINDOW_CHUNKS, type ChunkDistributor, type ContentRef, type StreamOptions } from '@codio-chunk/core'
import { equalBytes, randomContent, startNode, stopAll, waitFor } from './swarm-helpers.js'

const nodes: ChunkDistributor[] = []
afterEach(async () => { await stopAll(nodes) })

const CHUNK = 64 * 1024

/** A seeder holding `content` (its uploads capped at `uploadLimit` bytes/s, 0 for none) and a node with no content. */
async function pair (content: Uint8Array, uploadLimit = 0): Promise<{ seeder: ChunkDistributor, reader: ChunkDistributor, cid: ContentRef }> {
  const seeder = await startNode({ config: { chunkSize: CHUNK, uploadLimit } })
  const reader = await startNode({ listen: false })
  nodes.push(seeder, reader)
  const cid = await seeder.storeContent(content)
  return { seeder, reader, cid }
}

async function collect (stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const part of stream) parts.push(part)
  return new Uint8Array(Buffer.concat(parts))
}

describe('streamContent', () => {
  it('yields the first bytes of a large content before the download completes, in order from the reader\'s position even with rarest-first', async () => {
    const content = randomContent(64 * CHUNK) // 4 MiB in 64 chunks, sent at 2 MiB/s: about 2 s in all
    const { seeder, reader, cid } = await pair(content, 2 * 1024 * 1024)
    const verified: number[] = []
    reader.events.on('chunk:verified', ({ index }) => { verified.push(index) })
    const parts: Uint8Array[] = []
    let verifiedAtFirstBytes = -1
    for await (const part of reader.streamContent(cid, { providers: seeder.addresses, signal: AbortSignal.timeout(30_000) })) {
      if (parts.length === 0) {
        verifiedAtFirstBytes = verified.length
        expect(reader.downloadProgress(cid)?.progress).toBeLessThan(1)
      }
      parts.push(part)
    }
    expect(verifiedAtFirstBytes).toBeGreaterThan(0)
    expect(verifiedAtFirstBytes).toBeLessThan(64)
    expect(equalBytes(new Uint8Array(Buffer.concat(parts)), content)).toBe(true)
    // The node's strategy is rarest-first, but the reader's window came first: the first chunks
    // verified are the first chunks of the content.
    expect(Math.max(...verified.slice(0, 8))).toBeLessThan(READ_WINDOW_CHUNKS)
    expect(verified.slice(0, 4).sort((a, b) => a - b)).toEqual([0, 1, 2, 3])
  })

  it('streams a range in the middle, asks for the chunks from its start first, and stops the download once the reader is done', async () => {
    const content = randomContent(16 * CHUNK)
    const { seeder, reader, cid } = await pair(content, 1024 * 1024)
    const verified: number[] = []
    reader.events.on('chunk:verified', ({ index }) => { verified.push(index) })
    const start = 3 * CHUNK + 1000
    const end = 9 * CHUNK + 5000
    const got = await collect(reader.streamContent(cid, { start, end, providers: seeder.addresses }))
    expect(equalBytes(got, content.subarray(start, end + 1))).toBe(true)
    expect(Math.min(...verified.slice(0, 4))).toBe(3)
    // Nobody else wants the content: its download stopped, part of it stored, resumable later.
    await waitFor(() => reader.downloadProgress(cid) === undefined, 10_000, 'the download to stop')
    const held = await reader.storage.completed((await reader.fetchManifest(cid)).root)
    expect(held?.count).toBeGreaterThanOrEqual(7)
    expect(held?.count).toBeLessThan(16)
    // A later full read resumes from what is stored.
    expect(equalBytes(await collect(reader.streamContent(cid, { providers: seeder.addresses })), content)).toBe(true)
  })

  it('clamps an end past the last byte, and yields nothing for an empty content', async () => {
    const content = randomContent(5 * CHUNK + 17)
    const { seeder, reader, cid } = await pair(content)
    const got = await collect(reader.streamContent(cid, { start: content.length - 10, end: 10 * content.length, providers: seeder.addresses }))
    expect(equalBytes(got, content.subarray(content.length - 10))).toBe(true)
    const empty = await seeder.storeContent(new Uint8Array(0))
    expect((await collect(reader.streamContent(empty, { providers: seeder.addresses }))).length).toBe(0)
  })

  it('lets two readers of one content share one download', async () => {
    const content = randomContent(32 * CHUNK)
    const { seeder, reader, cid } = await pair(content, 4 * 1024 * 1024)
    let verified = 0
    reader.events.on('chunk:verified', () => { verified++ })
    const options: StreamOptions = { providers: seeder.addresses }
    const [whole, middle] = await Promise.all([
      collect(reader.streamContent(cid, options)),
      collect(reader.streamContent(cid, { ...options, start: 20 * CHUNK, end: 24 * CHUNK - 1 }))
    ])
    expect(equalBytes(whole, content)).toBe(true)
    expect(equalBytes(middle, content.subarray(20 * CHUNK, 24 * CHUNK))).toBe(true)
    expect(verified).toBe(32) // each chunk fetched once
  })

  it('releases a reader that breaks or aborts: the download stops unless another reader still wants it', async () => {
    const content = randomContent(48 * CHUNK)
    const { seeder, reader, cid } = await pair(content, 1024 * 1024)
    // A reader that breaks after its first piece.
    for await (const part of reader.streamContent(cid, { providers: seeder.addresses })) {
      expect(part.length).toBeGreaterThan(0)
      break
    }
    await waitFor(() => reader.downloadProgress(cid) === undefined, 10_000, 'the download to stop after a break')

    // An aborted reader beside one that keeps reading: the other one finishes.
    const controller = new AbortController()
    const aborted = (async () => {
      for await (const _ of reader.streamContent(cid, { providers: seeder.addresses, signal: controller.signal })) controller.abort()
    })()
    const other = collect(reader.streamContent(cid, { providers: seeder.addresses, start: 40 * CHUNK }))
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
    expect(equalBytes(await other, content.subarray(40 * CHUNK))).toBe(true)
  })

  it('streams content held locally straight from storage, without a download', async () => {
    const content = randomContent(10 * CHUNK + 3)
    const { seeder, cid } = await pair(content)
    let verified = 0
    seeder.events.on('chunk:verified', () => { verified++ })
    expect(equalBytes(await collect(seeder.streamContent(cid)), content)).toBe(true)
    expect(equalBytes(await collect(seeder.streamContent(cid, { start: 100, end: 2 * CHUNK })), content.subarray(100, 2 * CHUNK + 1))).toBe(true)
    expect(seeder.downloadProgress(cid)).toBe(undefined)
    expect(verified).toBe(0)
  })

  it('fetches a manifest alone: size and blocks known, no chunk downloaded', async () => {
    const content = randomContent(20 * CHUNK)
    const { seeder, reader, cid } = await pair(content)
    let verified = 0
    reader.events.on('chunk:verified', () => { verified++ })
    const manifest = await reader.fetchManifest(cid, { providers: seeder.addresses })
    expect(manifest.totalSize).toBe(content.length)
    expect(manifest.chunkCount).toBe(20)
    expect(verified).toBe(0)
    expect((await reader.storage.completed(manifest.root))?.count).toBe(0)
    expect(reader.downloadProgress(cid)).toBe(undefined)
    // Known now: asked again, it comes from the node without any provider.
    expect((await reader.fetchManifest(cid)).root.equals(manifest.root)).toBe(true)
  })

  it('fails with the engine\'s named errors', async () => {
    const content = randomContent(4 * CHUNK)
    const { seeder, reader, cid } = await pair(content)
    const lonely = await startNode({ listen: false })
    nodes.push(lonely)
    await expect(collect(lonely.streamContent(cid))).rejects.toBeInstanceOf(NoProvidersError)
    await expect(collect(seeder.streamContent(cid, { start: content.length }))).rejects.toBeInstanceOf(RangeError)
    await expect(collect(seeder.streamContent(cid, { start: 10, end: 5 }))).rejects.toBeInstanceOf(RangeError)
    await expect(collect(reader.streamContent('not a cid'))).rejects.toMatchObject({ name: 'InvalidContentIdError' })
    await expect(collect(reader.streamContent(cid, { providers: ['bogus://x'] }))).rejects.toMatchObject({ name: 'InvalidAddressError' })
  })
})
