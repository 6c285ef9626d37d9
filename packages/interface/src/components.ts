import type { AbortOptions, LoggerFactory } from './common.js'
import type { Discovery } from './discovery.js'
import type { Storage } from './storage.js'
import type { Transport } from './transport.js'
import type { Verifier } from './verifier.js'

/**
 * A node's identity as plugins see it: an Ed25519 key pair whose public key gives the node's
 * libp2p PeerId. Transports that authenticate peers (QUIC's TLS, a signed challenge) prove it with
 * this key; nobody else needs the private half.
 */
export interface Identity {
  /** The libp2p PeerId string (`12D3KooW…`). */
  readonly peerId: string
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
  /** The 32-byte Ed25519 private key seed. Keep it secret. */
  privateKeySeed(): Uint8Array
  /** An Ed25519 signature (64 bytes) of `data`. */
  sign(data: Uint8Array): Uint8Array
}

/**
 * Lends large buffers for chunks and takes them back once nothing refers to them, so a download
 * does not allocate fresh memory for every chunk. A buffer from `acquire` may hold old bytes.
 */
export interface BufferPool {
  /** A buffer of exactly `size` bytes (reused when one is free, else new). */
  acquire(size: number): Uint8Array
  /**
   * Gives back a buffer `acquire` returned, promising nothing reads or writes it any more. Buffers
   * the pool did not make, or gives back twice, are ignored.
   */
  release(bytes: Uint8Array): void
  /**
   * Optional: makes free buffers for `size`-byte requests ready ahead of use, up to `bytes` of
   * them, with their memory already touched, so the first `acquire`s of a fresh process neither
   * allocate nor take page faults while data arrives. Works in slices between other events;
   * resolves when done, or when `signal` aborts.
   */
  warm?(size: number, bytes: number, options?: AbortOptions): Promise<void>
}

/**
 * What a node hands every plugin that needs it, once, when the node is created (as js-libp2p hands
 * its components to `tcp()(components)`). A plugin factory takes its options and returns a
 * function of these; the node calls it. So the node's identity, logger and limits are given once
 * and every plugin sees the same ones.
 *
 * @example
 * ```ts
 * import { createComponents } from '@codio-chunk/protocol'
 * import { tcpTransport } from '@codio-chunk/transport-tcp'
 * // Outside a node (tests, tools): build components yourself.
 * const transport = tcpTransport()(createComponents())
 * ```
 */
export interface Components {
  /** The node's key pair and peer id. */
  readonly identity: Identity
  /** Makes namespaced loggers (`components.logger('codio-chunk:transport-tcp')`); silent by default. */
  readonly logger: LoggerFactory
  /** The node's chunk buffer pool. */
  readonly buffers: BufferPool
  /**
   * The largest frame (type byte and payload) the node accepts on any connection, derived from
   * its `maxChunkSize`. A frame announcing more is a protocol error before anything is allocated.
   */
  readonly maxFrameSize: number
  /**
   * The node's verifiers, one per hash function it can check (its `verifier` option). A storage
   * that checks what it reads back from disk hashes with the one whose `code` is the CID's
   * multihash code. Optional: components made before it existed have none, and a plugin then
   * falls back to what it can do itself (storage-fs hashes SHA-256 with `node:crypto`).
   */
  readonly verifiers?: readonly Verifier[]
  /**
   * The addresses the node accepts connections on right now (`tcp://…`, `quic://…/p2p/<id>`):
   * empty until it listens. A discovery announces them. Optional for the same reason as
   * `verifiers`; a plugin that needs it refuses components without it.
   */
  readonly addresses?: () => readonly string[]
}

/** The components a transport is made from. */
export type TransportComponents = Pick<Components, 'identity' | 'logger' | 'buffers' | 'maxFrameSize'>

/** The components a discovery is made from. */
export type DiscoveryComponents = Pick<Components, 'identity' | 'logger' | 'addresses'>

/** The components a storage is made from. */
export type StorageComponents = Pick<Components, 'logger' | 'buffers' | 'verifiers'>

/**
 * Makes a transport for a node. `tcpTransport(options)` returns one; the node calls it once with
 * its components.
 */
export type TransportFactory = (components: TransportComponents) => Transport

/** Makes a storage for a node (`fsStorage({ dir })`, `memoryStorage()`); called once by the node. */
export type StorageFactory = (components: StorageComponents) => Storage

/**
 * Makes a discovery for a node (`dhtDiscovery({ bootstrap })`); called once by the node, which
 * starts it after it listens and stops it when it stops.
 */
export type DiscoveryFactory = (components: DiscoveryComponents) => Discovery
