import { leafBlock } from '../content/leaf.js'
import { NotFoundError } from '../errors.js'
import { RejectCode } from '../wire/messages.js'
import type { EngineContext } from './engine-context.js'
import type { PeerSession } from './peer-session.js'
import type { ContentSwarm } from './swarm.js'
import type { CID } from 'multiformats/cid'
import type { RequestBlockMessage, RequestChunkMessage } from '../wire/messages.js'

/** Bytes a data frame's length counts besides the block: type byte and request id. */
const DATA_FRAME_OVERHEAD = 5

/** What the upload path needs beyond the shared engine context. */
export interface UploadContext extends EngineContext {
  /** The swarm of a content this node holds (loading it from storage if needed), or undefined. */
  swarmFor(cid: CID): ContentSwarm | undefined | Promise<ContentSwarm | undefined>
}

/**
 * Serves chunk and block requests from peers: checks choke state and the per-peer request limit,
 * reads the chunk from storage, rebuilds its leaf block and sends it. Requests cancelled while
 * being read are dropped.
 */
export class Uploader {
  constructor (private readonly ctx: UploadContext) {}

  /** Reads chunk `index` and rebuilds the exact leaf block its CID names. */
  async serve (swarm: ContentSwarm, index: number): Promise<Uint8Array> {
    if (!Number.isInteger(index) || index < 0 || index >= swarm.manifest.chunkCount) {
      throw new RangeError(`Chunk index ${index} is out of range 0..${swarm.manifest.chunkCount - 1} for ${swarm.key}`)
    }
    if (!swarm.have.get(index)) throw new NotFoundError(`Chunk ${index} of ${swarm.key} is not stored on this node`)
    const data = await this.ctx.storage.getChunk(swarm.manifest.root, index)
    return leafBlock(swarm.manifest, index, data)
  }

  handleRequestChunk (session: PeerSession, message: RequestChunkMessage): void {
    if (session.amChoking) {
      session.send({ type: 'reject', id: message.id, code: RejectCode.Choked, reason: 'choked' })
      return
    }
    this.handle(session, message, async (swarm) => {
      if (message.index >= swarm.manifest.chunkCount) return { code: RejectCode.BadRequest, reason: `chunk index ${message.index} out of range` }
      if (!swarm.have.get(message.index)) return { code: RejectCode.NotFound, reason: `chunk ${message.index} not stored here` }
      return await this.serve(swarm, message.index)
    }, (swarm, bytes) => {
      if (this.ctx.events.has('chunk:served')) {
        this.ctx.events.emit('chunk:served', { cid: swarm.manifest.root, index: message.index, peerId: session.peerId, bytes })
      }
    })
  }

  /** Manifest blocks are served whatever the choke state, so a choked peer can still learn what a content is. */
  handleRequestBlock (session: PeerSession, message: RequestBlockMessage): void {
    this.handle(session, message, async (swarm) => {
      const interior = swarm.manifest.getBlock(message.block)
      if (interior !== undefined) return interior
      const index = swarm.chunkIndexOf(message.block)
      if (index === -1) return { code: RejectCode.NotFound, reason: 'block is not part of this content' }
      if (!swarm.have.get(index)) return { code: RejectCode.NotFound, reason: 'block not stored here' }
      return await this.serve(swarm, index)
    })
  }

  private handle (
    session: PeerSession,
    message: RequestChunkMessage | RequestBlockMessage,
    produce: (swarm: ContentSwarm) => Promise<Uint8Array | { code: RejectCode, reason: string }>,
    sent?: (swarm: ContentSwarm, bytes: number) => void
  ): void {
    const { id } = message
    const reject = (code: RejectCode, reason: string): void => { session.send({ type: 'reject', id, code, reason }) }
    if (session.incoming.has(id)) { reject(RejectCode.BadRequest, `request id ${id} is already in use`); return }
    if (session.incoming.size >= this.ctx.config.maxRequestsServed) { reject(RejectCode.Busy, `more than ${this.ctx.config.maxRequestsServed} requests in flight`); return }
    const entry = { cancelled: false }
    session.incoming.set(id, entry)
    const run = async (): Promise<void> => {
      if (entry.cancelled || session.closed) return
      const swarm = await this.ctx.swarmFor(message.content)
      if (entry.cancelled) return
      if (swarm === undefined) { reject(RejectCode.NotFound, 'content not stored here'); return }
      const result = await produce(swarm)
      if (entry.cancelled || session.closed) return
      if (!(result instanceof Uint8Array)) { reject(result.code, result.reason); return }
      const maxFrame = session.remoteHello?.maxFrameSize ?? Number.POSITIVE_INFINITY
      if (result.length + DATA_FRAME_OVERHEAD > maxFrame) {
        reject(RejectCode.BadRequest, `block of ${result.length} bytes exceeds your maxFrameSize of ${maxFrame}`)
        return
      }
      if (!session.send({ type: 'data', id, bytes: result })) return
      sent?.(swarm, result.length)
      // Hold this peer's next upload until the socket has taken this one.
      await session.connection.drain().catch(() => {})
    }
    const done = session.uploadQueue.then(run).catch((err: Error) => {
      this.ctx.log.error('serving request %d from %s failed: %s', id, session.peerId, err.message)
      if (!entry.cancelled) reject(RejectCode.InternalError, 'storage error')
    }).finally(() => {
      if (session.incoming.get(id) === entry) session.incoming.delete(id)
    })
    session.uploadQueue = done
  }
}
