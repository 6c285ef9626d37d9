// The uploader and a storage that lost a chunk: a chunk the swarm believed it had but the storage
// no longer has (its stored copy failed verification and was dropped) is answered NotFound and
// cleared from the swarm's bitfield; other storage failures stay InternalError.
import { describe, expect, it } from 'vitest'
import { buildManifest } from '@codio-chunk/content'
import { Bitfield, NotFoundError, RejectCode, StorageError, silentLogger } from '@codio-chunk/interface'
import type { BufferPool, RejectMessage, Storage, WireMessage } from '@codio-chunk/interface'
import { Uploader } from '../src/upload/upload.js'
import { TokenBucket } from '../src/upload/token-bucket.js'
import { ContentSwarm } from '../src/swarm/swarm.js'
import { ChunkConfig } from '../src/config.js'
import { TypedEmitter } from '../src/events.js'
import { memoryStorage } from '../src/memory-storage.js'
import type { DistributorEvents } from '../src/node/distributor-events.js'
import { openSession } from './session-fixture.js'

const pool: BufferPool = { acquire: (size) => new Uint8Array(size), release: () => {} }

/** Waits (bounded) until the session sent an answer to request `id`. */
async function answer (messages: WireMessage[], id: number): Promise<WireMessage> {
  const deadline = Date.now() + 2000
  for (;;) {
    const found = messages.find(m => (m.type === 'data' || m.type === 'reject') && m.id === id)
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`no answer to request ${id} within 2 s`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

async function setup (failure: (index: number) => Error | undefined): Promise<{ swarm: ContentSwarm, request: (index: number) => Promise<WireMessage> }> {
  const bytes = new Uint8Array(5 * 1024).map((_, i) => i * 7)
  const manifest = await buildManifest(bytes, { chunkSize: 1024 })
  const inner = memoryStorage()()
  await inner.putManifest(manifest)
  for (let i = 0; i < manifest.chunkCount; i++) await inner.putChunk(manifest.root, i, bytes.subarray(i * 1024, (i + 1) * 1024))
  const storage: Storage = {
    ...inner,
    name: 'losing',
    getChunk: async (root, index, options) => {
      const err = failure(index)
      if (err !== undefined) throw err
      return await inner.getChunk(root, index, options)
    }
  }
  const swarm = new ContentSwarm(manifest, Bitfield.full(manifest.chunkCount))
  const uploader = new Uploader({
    services: { config: ChunkConfig.default(), storage, buffers: pool, events: new TypedEmitter<DistributorEvents>(), log: silentLogger, uploadLimiter: new TokenBucket({ rate: 0 }) },
    swarms: { get: () => swarm },
    events: { chunkRequested: () => {}, chunkServed: () => {} }
  })
  const fixture = await openSession('a', () => Date.now())
  fixture.session.setChoking(false)
  let id = 0
  const request = async (index: number): Promise<WireMessage> => {
    const requestId = ++id
    uploader.handleRequestChunk(fixture.session, { type: 'request-chunk', id: requestId, content: manifest.root.cid, index })
    return await answer(fixture.messages, requestId)
  }
  return { swarm, request }
}

describe('Uploader and chunks the storage no longer has', () => {
  it('answers NotFound and clears the chunk from the swarm\'s bitfield when storage rejects with NotFoundError', async () => {
    const { swarm, request } = await setup(index => index === 2 ? new NotFoundError('Chunk 2 failed verification and was dropped') : undefined)
    const lost = await request(2)
    expect(lost.type).toBe('reject')
    expect((lost as RejectMessage).code).toBe(RejectCode.NotFound)
    expect(swarm.have.get(2)).toBe(false)
    expect(swarm.have.count).toBe(4)
    // Asked again: refused before storage is read.
    expect(((await request(2)) as RejectMessage).code).toBe(RejectCode.NotFound)
    expect((await request(3)).type).toBe('data')
  })

  it('still answers InternalError, and keeps the chunk, for other storage failures', async () => {
    const { swarm, request } = await setup(index => index === 1 ? new StorageError('Could not read: EIO') : undefined)
    const failed = await request(1)
    expect((failed as RejectMessage).code).toBe(RejectCode.InternalError)
    expect(swarm.have.get(1)).toBe(true)
  })
})
