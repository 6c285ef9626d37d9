import type { PeerChunks } from '@codio-chunk/interface'
import { Bitfield } from '@codio-chunk/interface'

/**
 * What one remote peer has of one content, from its bitfield and have messages. A complete peer (a
 * seeder) keeps no bitfield at all: `has()` is a range check.
 *
 * Indices a peer sends are never trusted: `add` ignores an index out of range instead of throwing,
 * and `setBitfield` only takes a bitfield of the right length.
 *
 * @example
 * ```ts
 * import { Bitfield, PeerHoldings } from '@codio-chunk/core'
 * const peer = new PeerHoldings(4)
 * peer.setBitfield(Bitfield.fromBytes(4, new Uint8Array([0b1110_0000])))
 * peer.count       // 3
 * peer.add(3)      // true: new
 * peer.complete    // true: it now has every chunk
 * ```
 */
export class PeerHoldings implements PeerChunks {
  /** Number of chunks in the content. */
  readonly chunkCount: number
  /** The peer's chunks; undefined once it is complete. */
  private bits: Bitfield | undefined

  constructor (chunkCount: number) {
    if (!Number.isSafeInteger(chunkCount) || chunkCount < 0) {
      throw new RangeError(`A peer's chunk count must be a non-negative integer, got ${chunkCount}`)
    }
    this.chunkCount = chunkCount
    this.bits = chunkCount === 0 ? undefined : new Bitfield(chunkCount)
  }

  /** True if the peer has every chunk (a seeder). */
  get complete (): boolean { return this.bits === undefined }

  /** How many chunks the peer has. */
  get count (): number { return this.bits === undefined ? this.chunkCount : this.bits.count }

  has (index: number): boolean {
    if (this.bits === undefined) return (index >>> 0) === index && index < this.chunkCount
    return this.bits.get(index)
  }

  /**
   * Replaces what the peer has with `bits` (copied). Throws `RangeError` if `bits` does not
   * describe `chunkCount` chunks. If this peer already joined a `ChunkAvailability`, call its
   * `peerUpdated(peer)` afterwards.
   */
  setBitfield (bits: Bitfield): void {
    if (bits.length !== this.chunkCount) {
      throw new RangeError(`The bitfield describes ${bits.length} chunks, the content has ${this.chunkCount}`)
    }
    this.bits = bits.complete ? undefined : bits.clone()
  }

  /**
   * Records that the peer has `index` (a have message). Returns true if that is new; false if the
   * peer already had it or the index is out of range (ignored, never thrown).
   */
  add (index: number): boolean {
    const bits = this.bits
    if (bits === undefined || (index >>> 0) !== index || index >= this.chunkCount) return false
    if (!bits.set(index)) return false
    if (bits.complete) this.bits = undefined
    return true
  }

  /**
   * Records that the peer has every chunk. If this peer already joined a `ChunkAvailability`, call
   * its `peerUpdated(peer)` afterwards.
   */
  markComplete (): void {
    this.bits = undefined
  }

  /** The first chunk `>= from` the peer has, or -1. Skips absent chunks eight at a time. */
  nextHeld (from = 0): number {
    if (this.bits !== undefined) return this.bits.nextSet(from)
    if (!(from > 0)) from = 0
    else if (!Number.isInteger(from)) from = Math.ceil(from)
    return from < this.chunkCount ? from : -1
  }

  /** A copy of what the peer has, e.g. to send or to snapshot. */
  toBitfield (): Bitfield {
    return this.bits === undefined ? Bitfield.full(this.chunkCount) : this.bits.clone()
  }
}
