import { randomBytes } from 'node:crypto'
import { ChunkConfig, ChunkDistributor, memoryStorage, type BufferPool, type ChunkConfigOptions, type ContentRef, type DiscoveryFactory, type Storage, type StorageFactory, type Strategy } from '@codio-chunk/core'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
import { tcp, type TransportUnderTest } from './transports.js'

export interface NodeOptions {
  /** A storage factory, or a storage already open (tests that fill it before the node starts). */
  storage?: Storage | StorageFactory
  config?: Partial<ChunkConfigOptions>
  strategy?: Strategy
  listen?: boolean
  /** The transport to run over (default TCP). */
  transport?: TransportUnderTest
  /** The chunk buffer pool the node lends from (default: the process-wide one). */
  buffers?: BufferPool
  /** Discoveries the node finds providers through and announces to. */
  discovery?: DiscoveryFactory[]
}

/** A node on loopback with TCP (or `options.transport`), SHA-256 and (by default) in-memory storage and rarest-first. */
export async function startNode (options: NodeOptions = {}): Promise<ChunkDistributor> {
  const config = ChunkConfig.from({ strategy: options.strategy ?? rarestFirst(), ...options.config })
  const transport = options.transport ?? tcp
  const storage = options.storage
  return await ChunkDistributor.create(config, {
    transports: [transport.create()],
    verifier: sha256Verifier(),
    storage: storage === undefined ? memoryStorage() : typeof storage === 'function' ? storage : () => storage,
    buffers: options.buffers,
    discovery: options.discovery,
    listen: options.listen === false ? [] : [transport.listenAddress]
  })
}

/** Stops every node, ignoring errors, so a failing test still cleans up. */
export async function stopAll (nodes: ChunkDistributor[]): Promise<void> {
  await Promise.allSettled(nodes.map(async n => { await n.stop() }))
  nodes.length = 0
}

export function randomContent (size: number): Uint8Array {
  return new Uint8Array(randomBytes(size))
}

/** Resolves when `predicate` holds, checking on every event-loop turn; rejects after `timeout` ms. */
export async function waitFor (predicate: () => boolean, timeout = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

/** A node's stored copy of a content, read back as one buffer. */
export async function storedBytes (node: ChunkDistributor, cid: ContentRef): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const part of node.readContent(cid)) parts.push(part)
  return new Uint8Array(Buffer.concat(parts))
}
