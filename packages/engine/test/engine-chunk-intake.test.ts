import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { buildManifest } from '@codio-chunk/content'
import { ChunkIntake } from '../src/download/chunk-intake.js'
import { VerifyQueue } from '../src/download/verify-queue.js'
import { memoryStorage } from '../src/memory-storage.js'
import { silentLogger } from '@codio-chunk/interface'
import { ChunkBufferPool } from '@codio-chunk/protocol'
import type { ChunkIntakeEvents } from '../src/download/chunk-intake.js'
import type { PeerSession } from '../src/peers/peer-session.js'
import type { Storage } from '@codio-chunk/interface'
import type { Verifier } from '@codio-chunk/interface'

const sha256: Verifier = {
  name: 'sha2-256',
  code: 0x12,
  digestLength: 32,
  digest: (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest()),
  async digestMany (inputs) { return inputs.map(b => new Uint8Array(createHash('sha256').update(b).digest())) }
}

const CHUNK = 1024
const bytes = new Uint8Array(4 * CHUNK + 100).map((_, i) => ((i * 7) ^ (i >> 8) * 31) & 0xff)
const chunk = (i: number): Uint8Array => bytes.slice(i * CHUNK, Math.min(bytes.length, (i + 1) * CHUNK))
const peer = { peerId: 'peer-a' } as unknown as PeerSession

async function setup (storage: Storage = memoryStorage()()): Promise<{ intake: ChunkIntake, log: string[], state: { ended: boolean }, settled: () => Promise<void>, storage: Storage }> {
  const manifest = await buildManifest(bytes, { chunkSize: CHUNK })
  await storage.putManifest(manifest)
  const log: string[] = []
  const state = { ended: false }
  const waiters: Array<() => void> = []
  const note = (line: string): void => { log.push(line); waiters.splice(0).forEach(w => { w() }) }
  const events: ChunkIntakeEvents = {
    stored: (index, from, n) => { note(`stored ${index} from ${(from as PeerSession).peerId} (${n} bytes)`) },
    rejected: (index) => { note(`rejected ${index}`) },
    failed: (error) => { note(`failed: ${error.message}`) },
    ended: () => state.ended,
    storedLate: (index) => { note(`stored late ${index}`) }
  }
  const ctx = { storage, verify: new VerifyQueue([sha256]), log: silentLogger, buffers: new ChunkBufferPool() }
  const intake = new ChunkIntake(ctx, manifest, events)
  const settled = async (): Promise<void> => { await new Promise<void>((resolve) => { waiters.push(resolve) }) }
  return { intake, log, state, settled, storage }
}

describe('ChunkIntake', () => {
  it('verifies a chunk, stores it and reports it; the chunk is pending meanwhile', async () => {
    const { intake, log, settled, storage } = await setup()
    intake.accept(2, peer, chunk(2))
    expect(intake.isPending(2)).toBe(true)
    expect(intake.size).toBe(1)
    await settled()
    expect(log).toEqual([`stored 2 from peer-a (${CHUNK} bytes)`])
    expect(intake.isPending(2)).toBe(false)
    const root = (await storage.list())[0]
    expect(await storage.getChunk(root, 2)).toEqual(chunk(2))
  })

  it('drops a chunk that does not hash to its CID and blames the sender', async () => {
    const { intake, log, settled, storage } = await setup()
    intake.accept(1, peer, chunk(3).subarray(0, CHUNK))
    await settled()
    expect(log).toEqual(['rejected 1'])
    expect(intake.size).toBe(0)
    expect([...(await storage.completed((await storage.list())[0])) ?? []]).toEqual([])
  })

  it('fails the download when storage fails (a local problem)', async () => {
    const failing = memoryStorage()()
    failing.putChunk = async () => { throw new Error('disk full') }
    const { intake, log, settled } = await setup(failing)
    intake.accept(0, peer, chunk(0))
    await settled()
    expect(log).toEqual(['failed: disk full'])
    expect(intake.isPending(0)).toBe(false)
  })

  it('stores nothing for a chunk that verifies after the download ended, and keeps one already being stored', async () => {
    const { intake, log, state, settled, storage } = await setup()
    intake.accept(0, peer, chunk(0))
    state.ended = true
    await new Promise<void>((resolve) => { setTimeout(resolve, 20) })
    expect(log).toEqual([])
    expect(intake.size).toBe(0)
    const slow = memoryStorage()()
    let release!: () => void
    const put = slow.putChunk.bind(slow)
    slow.putChunk = async (...args) => { await new Promise<void>((resolve) => { release = resolve }); await put(...args) }
    const second = await setup(slow)
    second.intake.accept(3, peer, chunk(3))
    await new Promise<void>((resolve) => { setTimeout(resolve, 20) })
    second.state.ended = true
    release()
    await second.settled()
    expect(second.log).toEqual(['stored late 3'])
    expect([...(await storage.completed((await storage.list())[0])) ?? []]).toEqual([])
  })
})
