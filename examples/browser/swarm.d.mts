import type { ChunkDistributor, ContentId, StorageFactory } from '@codio-chunk/core'

/** One node of a {@link startSwarm} swarm. */
export interface SwarmNode {
  node: ChunkDistributor
  /** Its `ws://127.0.0.1:port/p2p/<peer id>` address. */
  address: string
  peerId: string
  /** True for a node that flips a byte in every chunk it sends. */
  liar: boolean
  /** 1 for the publisher, then 2, 3, … */
  index: number
  /** The content id, on the publisher. */
  cid?: ContentId
}

/** Wraps a storage factory: every chunk read comes back with one byte flipped. */
export function corruptingStorage (factory: StorageFactory): StorageFactory
/** A playable WAV file of exactly `size` bytes; deterministic. */
export function generateWav (size: number): Uint8Array
/** Starts nodes on ws://host:0: the first publishes, the others fetch from it; the last `liars` lie. */
export function startSwarm (options?: {
  size?: number
  bytes?: Uint8Array
  nodes?: number
  liars?: number
  host?: string
  onNode?: (node: SwarmNode) => void
}): Promise<{ cid: ContentId, bytes: Uint8Array, nodes: SwarmNode[], stop: () => Promise<void> }>
