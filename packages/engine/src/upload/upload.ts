import { leafBlock } from '@codio-chunk/content'
import { NotFoundError } from '@codio-chunk/interface'
import { RejectCode } from '@codio-chunk/interface'
import type { EngineServices } from '../node/services.js'
import type { IncomingRequest, PeerSession } from '../peers/peer-session.js'
import { UploadOrder, type Overtakable } from './upload-order.js'
import type { TokenBucket } from './token-bucket.js'
import type { ContentSwarm } from '../swarm/swarm.js'
import type { CID } from 'multiformats/cid'
import type { RequestBlockMessage, RequestChunkMessage } from '@codio-chunk/interface'

/** True for a `NotFoundError`, of this copy of the interface package or another one. */
function isNotFound (err: unknown): boolean {
  return err instanceof NotFoundError || (err as Error | undefined)?.name === 'NotFoundError'
}

/** Bytes a data frame's length counts besides the block: type byte and request id. */
const DATA_FRAME_OVERHEAD = 5

/** A chunk to read and send once the upload limiter grants its bytes. */
interface ChunkToSend {
  readonly index: number
}

/**
 * A request being served. Setting `cancelled` (the peer's cancel, its session closing, or the
 * peer being choked) also gives up its place in the upload limiter's queue, so nothing is sent
 * for it.
 */
class ServedRequest implements IncomingRequest, Overtakable {
  /** A `data` or `reject` has been sent for it. */
  answered = false
  overtaken = 0
  /** The content's swarm if it was in memory when the request arrived (it ranks the request). */
  swarm?: ContentSwarm
  /** The requested chunk, for a chunk request. */
  index = -1
  /** Serves the request; never rejects. */
  execute: () => Promise<void> = async () => {}
  private isCancelled = false
  private waiting?: AbortController

  /** @param chunk - a chunk request (subject to choking), not a manifest block request */
  constructor (readonly chunk: boolean) {}

  get cancelled (): boolean { return this.isCancelled }
  set cancelled (value: boolean) {
    this.isCancelled = value
    if (value) this.waiting?.abort()
  }

  /** Waits for the limiter to grant `bytes`; false if cancelled meanwhile or the limiter closed. */
  async admit (limiter: TokenBucket, bytes: number): Promise<boolean> {
    if (this.isCancelled) return false
    this.waiting = new AbortController()
    try {
      await limiter.take(bytes, { signal: this.waiting.signal })
    } catch {
      return false
    } finally {
      this.waiting = undefined
    }
    if (!this.isCancelled) return true
    limiter.refund(bytes)
    return false
  }
}

/** What an {@link Uploader} tells the node. */
export interface UploaderEvents {
  /**
   * A peer asked for a chunk of `swarm`: asking counts as interest (a peer need not send
   * `interested` first), which may choke it at once if no upload slot is free.
   */
  chunkRequested(session: PeerSession, swarm: ContentSwarm): void
  /** A chunk was sent to the peer (the choker may take back its slot, see `UploadManager.chunkServed`). */
  chunkServed(session: PeerSession): void
}

/** What an {@link Uploader} is made of. */
export interface UploaderInit {
  services: Pick<EngineServices, 'config' | 'storage' | 'buffers' | 'events' | 'log' | 'uploadLimiter'>
  /** The swarm of a content this node holds (loading it from storage if needed), or undefined. */
  swarms: { get(cid: CID): ContentSwarm | undefined | Promise<ContentSwarm | undefined> }
  events: UploaderEvents
}

/**
 * Serves chunk and block requests from peers: checks choke state and the per-peer request limit,
 * waits for the node's upload limiter to grant the chunk's bytes, reads the chunk from storage,
 * rebuilds its leaf block and sends it. Requests the peer cancels are dropped; chunk requests
 * still unanswered when the peer is choked are rejected as Choked ({@link rejectChoked}). A chunk
 * the storage no longer has (`NotFoundError`, e.g. a stored copy that failed verification and was
 * dropped) is cleared from the swarm's `have` and rejected as NotFound; other storage failures are
 * rejected as InternalError.
 */
export class Uploader {
  /** Each peer's requests waiting for their turn, rarest chunk first. */
  private readonly queues = new WeakMap<PeerSession, UploadOrder<ServedRequest>>()

  private readonly ctx: UploaderInit['services']
  private readonly swarms: UploaderInit['swarms']
  private readonly events: UploaderEvents

  constructor (init: UploaderInit) {
    this.ctx = init.services
    this.swarms = init.swarms
    this.events = init.events
  }

  /** Cancelled requests go first (nothing to send), then chunks by how widely they have spread. */
  private readonly rank = (entry: ServedRequest): number => {
    if (entry.cancelled) return -1
    return entry.swarm === undefined || entry.index === -1 ? 0 : entry.swarm.spread(entry.index)
  }

  /** Reads chunk `index` and rebuilds the exact leaf block its CID names. */
  async serve (swarm: ContentSwarm, index: number): Promise<Uint8Array> {
    if (!Number.isInteger(index) || index < 0 || index >= swarm.manifest.chunkCount) {
      throw new RangeError(`Chunk index ${index} is out of range 0..${swarm.manifest.chunkCount - 1} for ${swarm.key}`)
    }
    if (!swarm.have.get(index)) throw new NotFoundError(`Chunk ${index} of ${swarm.key} is not stored on this node`)
    const data = await this.ctx.storage.getChunk(swarm.manifest.root, index)
    return leafBlock(swarm.manifest, index, data)
  }

  /**
   * Rejects, as Choked, every chunk request of `session` not answered yet, whether it waits in the
   * peer's queue, for upload tokens or for storage. Called when the peer is choked. Block requests
   * are not subject to choking and carry on.
   */
  rejectChoked (session: PeerSession): void {
    for (const [id, entry] of session.servedRequests()) {
      if (!(entry instanceof ServedRequest) || !entry.chunk || entry.answered) continue
      entry.answered = true
      entry.cancelled = true
      session.stopServing(id, entry)
      session.send({ type: 'reject', id, code: RejectCode.Choked, reason: 'choked' })
    }
  }

  handleRequestChunk (session: PeerSession, message: RequestChunkMessage): void {
    if (session.amChoking) {
      session.send({ type: 'reject', id: message.id, code: RejectCode.Choked, reason: 'choked' })
      return
    }
    this.handle(session, message, async (swarm) => {
      if (message.index >= swarm.manifest.chunkCount) return { code: RejectCode.BadRequest, reason: `chunk index ${message.index} out of range` }
      if (!swarm.have.get(message.index)) return { code: RejectCode.NotFound, reason: `chunk ${message.index} not stored here` }
      // Super-seeding: only chunks revealed to this peer (see swarm.ts, UploadGate).
      if (swarm.uploadGate?.mayServe(session, message.index) === false) return { code: RejectCode.NotFound, reason: `chunk ${message.index} not offered to you now; ask other peers` }
      return { index: message.index }
    }, (swarm, bytes) => {
      swarm.countSent(message.index)
      swarm.uploadGate?.served(session, message.index)
      this.events.chunkServed(session)
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
      return { index }
    })
  }

  private handle (
    session: PeerSession,
    message: RequestChunkMessage | RequestBlockMessage,
    produce: (swarm: ContentSwarm) => Promise<Uint8Array | ChunkToSend | { code: RejectCode, reason: string }>,
    sent?: (swarm: ContentSwarm, bytes: number) => void
  ): void {
    const { id } = message
    const early = (code: RejectCode, reason: string): void => { session.send({ type: 'reject', id, code, reason }) }
    if (session.serving(id) !== undefined) { early(RejectCode.BadRequest, `request id ${id} is already in use`); return }
    if (session.requestsIn >= this.ctx.config.maxRequestsServed) { early(RejectCode.Busy, `more than ${this.ctx.config.maxRequestsServed} requests in flight`); return }
    const chunk = message.type === 'request-chunk'
    const entry = new ServedRequest(chunk)
    const reject = (code: RejectCode, reason: string): void => {
      if (entry.answered) return
      entry.answered = true
      session.send({ type: 'reject', id, code, reason })
    }
    session.startServing(id, entry)
    let lookup: ReturnType<UploaderInit['swarms']['get']>
    try {
      lookup = this.swarms.get(message.content)
    } catch (err) {
      lookup = Promise.reject(err)
    }
    if (lookup instanceof Promise) {
      lookup.catch(() => {}) // awaited by run(), unless the request is cancelled first
    } else {
      entry.swarm = lookup
      if (chunk) entry.index = (message as RequestChunkMessage).index
    }
    const limiter = this.ctx.uploadLimiter
    const run = async (): Promise<void> => {
      if (entry.cancelled || session.closed) return
      const swarm = await lookup
      if (entry.cancelled) return
      if (swarm === undefined) { reject(RejectCode.NotFound, 'content not stored here'); return }
      if (chunk) {
        // May choke the peer, which rejects this request too.
        this.events.chunkRequested(session, swarm)
        if (entry.cancelled) return
      }
      const found = await produce(swarm)
      if (entry.cancelled || session.closed) return
      if ('code' in found) { reject(found.code, found.reason); return }
      let result: Uint8Array
      let charged = 0
      if (found instanceof Uint8Array) {
        result = found // an interior manifest block: small, not rate-limited
      } else {
        // Charge the chunk's payload before reading it, so a waiting request holds no buffer.
        charged = Math.min(swarm.manifest.chunkLength(found.index), this.ctx.config.maxChunkSize)
        if (!limiter.tryTake(charged) && !(await entry.admit(limiter, charged))) return
        try {
          result = await this.serve(swarm, found.index)
        } catch (err) {
          limiter.refund(charged)
          if (!isNotFound(err)) throw err
          // The storage no longer has it (its copy failed verification and was dropped): stop
          // offering it and tell the peer to ask someone else.
          if (swarm.have.set(found.index, false)) this.ctx.log('chunk %d of %s is gone from storage: %s', found.index, swarm.key, (err as Error).message)
          reject(RejectCode.NotFound, `chunk ${found.index} not stored here`)
          return
        }
        if (entry.cancelled || session.closed) { limiter.refund(charged); return }
      }
      const maxFrame = session.remoteHello?.maxFrameSize ?? Number.POSITIVE_INFINITY
      if (result.length + DATA_FRAME_OVERHEAD > maxFrame) {
        limiter.refund(charged)
        reject(RejectCode.BadRequest, `block of ${result.length} bytes exceeds your maxFrameSize of ${maxFrame}`)
        return
      }
      entry.answered = true
      // A chunk the storage read into a buffer of its own goes back to the pool once the transport
      // has let go of it (transports that cannot tell never call back; the buffer is then collected).
      const recycle = charged > 0 && this.ctx.storage.ownedReads === true ? () => { this.ctx.buffers.release(result) } : undefined
      if (!session.send({ type: 'data', id, bytes: result }, recycle)) { limiter.refund(charged); return }
      sent?.(swarm, result.length)
      // Hold this peer's next upload until the socket has taken this one.
      await session.connection.drain().catch(() => {})
    }
    entry.execute = async () => {
      await run().catch((err: Error) => {
        this.ctx.log.error('serving request %d from %s failed: %s', id, session.peerId, err.message)
        if (!entry.cancelled) reject(RejectCode.InternalError, 'storage error')
      }).finally(() => {
        session.stopServing(id, entry)
      })
    }
    // One turn per request; each turn serves whichever waiting request ranks first.
    let order = this.queues.get(session)
    if (order === undefined) this.queues.set(session, order = new UploadOrder(this.rank))
    order.push(entry)
    const queue = order
    session.enqueueUpload(async () => { await queue.next()?.execute() })
  }
}
