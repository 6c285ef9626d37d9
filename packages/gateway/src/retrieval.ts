import { ContentNotFoundError, NotCachedError, RetrievalTimeoutError } from './errors.js'
import { RetrievalTimer } from './retrieval-timer.js'
import type { ChunkDistributor } from '@codio-chunk/engine'
import type { ContentId, Logger, Manifest } from '@codio-chunk/interface'
import type { BlockLocator } from './block-locator.js'
import type { FetchSlots } from './fetch-slots.js'
import type { ResolvedGatewayOptions } from './options.js'

/** What every request handler shares: the node, the settings, the bounds. */
export interface GatewayContext {
  readonly node: ChunkDistributor
  readonly options: ResolvedGatewayOptions
  readonly log: Logger
  readonly slots: FetchSlots
  /** Finds the content a block belongs to; told of every manifest a request fetched. */
  readonly locator: BlockLocator
}

/**
 * One request's access to a content: it takes the content's fetch slot when the node does not
 * hold the content whole ({@link FetchSlots}), and runs a {@link RetrievalTimer} over what it
 * asks of the node. While the root block (the manifest) is awaited, the deadline means "no
 * provider has it" and answers 404, as the trustless gateway spec says for a root block that is
 * not available; once the manifest is known it means 504 (before the first byte) or a cut-off
 * response (after). `signal` also fires when the client goes away. `close()` gives everything back.
 *
 * @example
 * ```ts
 * const retrieval = await Retrieval.open(ctx, root, requestSignal, { onlyIfCached: false })
 * try {
 *   const manifest = await retrieval.manifest()
 *   for await (const piece of retrieval.stream(0, manifest.totalSize - 1)) res.write(piece)
 * } finally { retrieval.close() }
 * ```
 */
export class Retrieval {
  readonly timer: RetrievalTimer
  /** Fires on the retrieval deadline, when the client goes away, or on `close()`. */
  readonly signal: AbortSignal
  private phase: 'root' | 'data' = 'root'
  private readonly closer = new AbortController()

  private constructor (private readonly ctx: GatewayContext, readonly root: ContentId, requestSignal: AbortSignal, private readonly release: () => void) {
    const seconds = Math.round(ctx.options.retrievalTimeout / 1000)
    this.timer = new RetrievalTimer(ctx.options.retrievalTimeout, () => this.phase === 'root'
      ? new ContentNotFoundError(`No provider supplied the root block of ${root.toString()} within ${seconds} s`)
      : new RetrievalTimeoutError(`No new bytes of ${root.toString()} arrived within ${seconds} s`, { retryAfter: 30 }))
    this.signal = AbortSignal.any([requestSignal, this.timer.signal, this.closer.signal])
  }

  /**
   * Starts a retrieval of `root`: free if the node holds it whole, else under the content's fetch
   * slot (TooManyFetchesError when none is left). With `onlyIfCached`, a content whose manifest is
   * not stored here is refused with NotCachedError (412) before anything is fetched.
   */
  static async open (ctx: GatewayContext, root: ContentId, requestSignal: AbortSignal, options: { onlyIfCached: boolean }): Promise<Retrieval> {
    const have = await ctx.node.storage.completed(root).catch(() => undefined)
    if (options.onlyIfCached && have === undefined) throw new NotCachedError(`${root.toString()} is not held by this gateway (Cache-Control: only-if-cached)`)
    const release = have?.complete === true ? () => {} : ctx.slots.take(root.toString())
    return new Retrieval(ctx, root, requestSignal, release)
  }

  /** The content's manifest, fetched if needed (404 on the deadline). */
  async manifest (): Promise<Manifest> {
    this.phase = 'root'
    this.timer.progress()
    const manifest = await this.ctx.node.fetchManifest(this.root, { providers: this.ctx.options.providers, signal: this.signal })
    this.phase = 'data'
    this.timer.progress()
    this.ctx.locator.add(manifest)
    return manifest
  }

  /** Bytes `start`..`end` of the content as they verify; every piece restarts the deadline. */
  async * stream (start: number, end: number): AsyncGenerator<Uint8Array> {
    this.phase = 'data'
    this.timer.progress()
    for await (const piece of this.ctx.node.streamContent(this.root, { start, end, providers: this.ctx.options.providers, signal: this.signal })) {
      this.timer.progress()
      yield piece
    }
  }

  /** Reads bytes `start`..`end` whole (a small range: sniffing, one block). */
  async read (start: number, end: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = []
    for await (const piece of this.stream(start, end)) parts.push(piece)
    return parts.length === 1 ? parts[0] : new Uint8Array(Buffer.concat(parts))
  }

  /** Ends the retrieval: stops the deadline, aborts what still runs, gives the fetch slot back. */
  close (): void {
    this.timer.stop()
    this.closer.abort()
    this.release()
  }
}
