import { describe, expect, it } from 'vitest'
import { buildManifest, leafBlock, memoryStorage, type Storage } from '@codio-chunk/core'
import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
import { randomContent, startNode, waitFor } from './swarm-helpers.js'
import { chunkRequests as requests, scriptedHolder, scriptedTestResources, type ScriptedPeer, type TalkingPeer } from './scripted-peer.js'

const open = scriptedTestResources()

const CHUNK = 16 * 1024
const CHUNKS = 2

/** A scripted seed that holds every chunk, unchokes the downloader and answers nothing by itself. */
async function silentSeed (): Promise<TalkingPeer> {
  const peer = await scriptedHolder(CHUNKS, (b) => { for (let i = 0; i < CHUNKS; i++) b.set(i) })
  open.scripted.push(peer)
  return peer
}

const cancels = (peer: ScriptedPeer): number[] => peer.received.flatMap(m => m.type === 'cancel' ? [m.id] : [])

/** A memory storage whose chunk writes wait until `release()` is called. */
function heldStorage (): { storage: Storage, release: () => void, writes: () => number } {
  const inner = memoryStorage()()
  let openGate!: () => void
  const gate = new Promise<void>((resolve) => { openGate = resolve })
  let writes = 0
  const storage: Storage = Object.assign(Object.create(inner) as Storage, {
    async putChunk (...args: Parameters<Storage['putChunk']>) {
      writes++
      await gate
      await inner.putChunk(...args)
    }
  })
  return { storage, release: openGate, writes: () => writes }
}

describe('endgame duplicates', () => {
  it('are cancelled as soon as one copy arrives, before it is stored, and not asked for again', async () => {
    const content = randomContent(CHUNKS * CHUNK)
    const manifest = await buildManifest(content, { chunkSize: CHUNK })
    const held = heldStorage()
    await held.storage.putManifest(manifest)
    const node = await startNode({ storage: held.storage, listen: false, strategy: rarestFirst({ randomFirst: 0 }), config: { chunkSize: CHUNK, chunksPerPeer: 2 } })
    open.nodes.push(node)
    const a = await silentSeed()
    const controller = new AbortController()
    open.downloads.push(controller)
    const done = node.download(manifest.root, [a.address], { signal: controller.signal })
    done.catch(() => {})
    await waitFor(() => requests(a).length === CHUNKS, 5000, 'both chunks asked of the first seed')
    // Every chunk is asked for: the second seed gets endgame duplicates of both.
    const b = await silentSeed()
    await node.connect(b.address)
    await waitFor(() => requests(b).length === CHUNKS, 5000, 'endgame duplicates at the second seed')
    const first = requests(a)[0]
    const duplicate = requests(b).find(r => r.index === first.index)
    expect(duplicate).toBeDefined()

    // The first seed answers: the copy is being stored (held), and the duplicate is cancelled already.
    a.send({ type: 'data', id: first.id, bytes: leafBlock(manifest, first.index, content.subarray(first.index * CHUNK, (first.index + 1) * CHUNK)) })
    await waitFor(() => held.writes() === 1, 5000, 'the chunk handed to storage')
    await waitFor(() => cancels(b).includes(duplicate!.id), 5000, 'a cancel of the duplicate at the second seed')
    // Its freed slot is not spent on the chunk being stored.
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(requests(a).filter(r => r.index === first.index)).toHaveLength(1)
    expect(requests(b).filter(r => r.index === first.index)).toHaveLength(1)

    // The rest completes normally.
    const other = requests(b).find(r => r.index !== first.index)!
    b.send({ type: 'data', id: other.id, bytes: leafBlock(manifest, other.index, content.subarray(other.index * CHUNK, (other.index + 1) * CHUNK)) })
    held.release()
    await done
    const stale = requests(a).find(r => r.index === other.index)!
    await waitFor(() => cancels(a).includes(stale.id), 5000, 'a cancel of the other chunk at the first seed')
  })
})
