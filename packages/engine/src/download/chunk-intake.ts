import { leafData } from '@codio-chunk/content'
import type { Manifest } from '@codio-chunk/interface'
import type { EngineServices } from '../node/services.js'
import type { PeerSession } from '../peers/peer-session.js'
import type { Origin } from '../origin/origin.js'

/** Where a chunk came from: a peer, or an origin the node fell back to. */
export type ChunkSource = PeerSession | Origin

/** Bytes of received chunks that may wait for verification and storage before requests pause. */
export const PENDING_STORE_BYTES = 32 * 1024 * 1024

/** What a {@link ChunkIntake} reports to its download. */
export interface ChunkIntakeEvents {
  /** Chunk `index` from `from` verified and was stored (`bytes` of file data). */
  stored(index: number, from: ChunkSource, bytes: number): void
  /** Chunk `index` from `from` failed verification or is malformed; it was dropped. */
  rejected(index: number, from: ChunkSource): void
  /** Verifying or storing failed locally (a verifier or storage error): the download fails. */
  failed(error: Error): void
  /** True once the download ended: results are then only kept (stored chunks) or ignored. */
  ended(): boolean
  /** A chunk whose storing had begun was stored after the download ended (kept for the next attempt). */
  storedLate(index: number): void
}

/**
 * Verifies received chunks against their CIDs and stores the good ones, a bounded number at a
 * time (about {@link PENDING_STORE_BYTES} of chunks). A chunk being verified or stored is
 * "pending": the download neither asks for it again nor lets another copy in.
 *
 * Chunks arriving in the same turn of the event loop are verified together (one `digestMany`
 * call), so batch and SIMD kernels see several at once.
 *
 * @example
 * ```ts
 * const intake = new ChunkIntake(ctx, manifest, events)
 * if (!intake.isPending(index)) intake.accept(index, session, block)
 * intake.full // true while the pending bound is reached: stop requesting
 * ```
 */
export class ChunkIntake {
  private readonly pending = new Set<number>()
  private readonly maxPending: number

  constructor (
    private readonly ctx: Pick<EngineServices, 'verify' | 'storage' | 'buffers' | 'log'>,
    private readonly manifest: Manifest,
    private readonly events: ChunkIntakeEvents
  ) {
    this.maxPending = Math.max(16, Math.floor(PENDING_STORE_BYTES / Math.max(1, manifest.chunkSize)))
  }

  /** Chunks being verified or stored. */
  get size (): number {
    return this.pending.size
  }

  /** True while as many chunks are pending as the bound allows: requests should wait. */
  get full (): boolean {
    return this.pending.size >= this.maxPending
  }

  /** True if chunk `index` is being verified or stored. */
  isPending (index: number): boolean {
    return this.pending.has(index)
  }

  /** Takes in chunk `index` (its leaf block) received from `from` (a peer or an origin): verifies it, then stores it. */
  accept (index: number, from: ChunkSource, block: Uint8Array): void {
    this.pending.add(index)
    this.ctx.verify.check(this.manifest.chunkCid(index), block, (ok, error) => {
      try {
        // A verifier that fails is a local problem: the download fails instead of blaming the peer.
        if (error !== undefined) throw error
        this.verified(index, from, block, ok)
      } catch (err) {
        this.pending.delete(index)
        this.events.failed(err as Error)
      }
    })
  }

  private verified (index: number, from: ChunkSource, block: Uint8Array, ok: boolean): void {
    let data: Uint8Array | undefined
    if (ok) {
      try {
        data = leafData(this.manifest, index, block)
      } catch (err) {
        this.ctx.log('chunk %d from %s is malformed: %s', index, 'peerId' in from ? from.peerId : from.url, (err as Error).message)
      }
    }
    if (this.events.ended()) {
      this.pending.delete(index)
      return
    }
    if (data === undefined) {
      this.pending.delete(index)
      this.events.rejected(index, from)
      return
    }
    const bytes = data.length
    const failed = (err: Error): void => {
      this.pending.delete(index)
      this.events.failed(err)
    }
    let storing: Promise<void>
    try {
      storing = this.ctx.storage.putChunk(this.manifest.root, index, data)
    } catch (err) {
      failed(err as Error) // a storage plugin that throws instead of rejecting
      return
    }
    storing.then(() => {
      // A storage that copies has let go of `data` by now, and nothing else here refers to the
      // block: its buffer (a frame the decoder took from the pool) can carry the next chunk.
      if (this.ctx.storage.copiesOnPut === true) this.ctx.buffers.release(block)
      this.pending.delete(index)
      try {
        if (this.events.ended()) this.events.storedLate(index)
        else this.events.stored(index, from, bytes)
      } catch (err) {
        this.events.failed(err as Error)
      }
    }, failed)
  }
}
