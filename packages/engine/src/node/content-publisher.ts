import { buildManifest } from '@codio-chunk/content'
import { Bitfield } from '@codio-chunk/interface'
import { ContentMismatchError, throwIfAborted } from '@codio-chunk/interface'
import { rechunk } from './content-io.js'
import type { ChunkConfig } from '../config.js'
import type { ContentId } from '@codio-chunk/interface'
import type { Manifest } from '@codio-chunk/interface'
import type { AbortOptions } from '@codio-chunk/interface'
import type { Storage } from '@codio-chunk/interface'
import type { Verifier } from '@codio-chunk/interface'
import type { SwarmRegistry } from '../swarm/swarm-registry.js'

/** How one content is chunked and addressed when it is published. */
export interface PublishOptions extends AbortOptions {
  /** Chunk size for this content (default: the config's). */
  chunkSize?: number
  /** CID version for this content (default: the config's). */
  cidVersion?: 0 | 1
}

/** What a {@link ContentPublisher} needs from the node. */
export interface ContentPublisherInit {
  config: ChunkConfig
  storage: Storage
  /** Hashes the content (the node's first verifier). */
  verifier: Verifier
  swarms: SwarmRegistry
}

/**
 * Publishes content this node holds: chunks and addresses it as `ipfs add` would, stores manifest
 * and chunks, and registers its swarm as complete (which super-seeds it when the config says so).
 *
 * @example
 * ```ts
 * const publisher = new ContentPublisher({ config, storage, verifier, swarms })
 * const cid = await publisher.storeBytes(new TextEncoder().encode('hello world\n'))
 * ```
 */
export class ContentPublisher {
  constructor (private readonly init: ContentPublisherInit) {}

  /**
   * Publishes bytes held in memory. With `expected`, checks the bytes hash to it
   * (ContentMismatchError). The storage may keep references to `bytes`.
   */
  async storeBytes (bytes: Uint8Array, expected?: ContentId, options?: PublishOptions): Promise<ContentId> {
    const manifest = await buildManifest(bytes, this.buildOptions(options))
    if (expected !== undefined && !expected.equals(manifest.root)) {
      throw new ContentMismatchError(`The bytes given hash to ${manifest.root.toString()}, not ${expected.toString()}; check the chunk size and CID version used to make that CID`)
    }
    const { storage } = this.init
    await storage.putManifest(manifest, options)
    for (let i = 0; i < manifest.chunkCount; i++) {
      const offset = manifest.chunkOffset(i)
      await storage.putChunk(manifest.root, i, bytes.subarray(offset, offset + manifest.chunkLength(i)), options)
    }
    this.publish(manifest)
    return manifest.root
  }

  /** Publishes a stream read twice through `open` (once for the manifest, once for the chunks). */
  async importStream (open: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options?: PublishOptions): Promise<ContentId> {
    const { storage } = this.init
    const manifest = await buildManifest(open(), this.buildOptions(options))
    await storage.putManifest(manifest, options)
    let index = 0
    const changed = new ContentMismatchError('The content changed between the two reads; import a file that is not being written to')
    try {
      for await (const chunk of rechunk(open(), (i) => i < manifest.chunkCount ? manifest.chunkLength(i) : 0)) {
        throwIfAborted(options?.signal, 'import')
        if (chunk.length !== manifest.chunkLength(index)) throw changed
        await storage.putChunk(manifest.root, index++, chunk, options)
      }
    } catch (err) {
      if (err instanceof RangeError) throw changed
      throw err
    }
    if (index !== manifest.chunkCount) throw changed
    this.publish(manifest)
    return manifest.root
  }

  private buildOptions (options?: PublishOptions): Parameters<typeof buildManifest>[1] {
    const { config, verifier } = this.init
    return {
      chunkSize: options?.chunkSize ?? config.chunkSize,
      cidVersion: options?.cidVersion ?? config.cidVersion,
      verifier,
      signal: options?.signal
    }
  }

  private publish (manifest: Manifest): void {
    const swarm = this.init.swarms.add(manifest, Bitfield.full(manifest.chunkCount))
    swarm.download?.storedElsewhere(Array.from({ length: manifest.chunkCount }, (_, i) => i))
  }
}
