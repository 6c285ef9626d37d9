import { ContentMismatchError, InvalidManifestError, NoProvidersError, RequestRejectedError, TimeoutError, abortError } from '@codio-chunk/interface'
import type { CID } from 'multiformats/cid'
import type { ContentId } from '@codio-chunk/interface'
import type { VerifyQueue } from './verify-queue.js'
import type { PeerManager } from '../peers/peer-manager.js'
import type { PeerSession } from '../peers/peer-session.js'
import type { ProviderSearch } from '../discovery/provider-search.js'

/** What fetching blocks from peers needs from the node. */
export interface BlockFetchContext {
  /** Milliseconds a peer has to answer a block request. */
  requestTimeout: number
  /** Wrong blocks (and chunks) after which a peer is banned. */
  maxBadChunks: number
  verify: VerifyQueue
  /** Disconnects and bans a peer that sent too many wrong blocks. */
  ban(session: PeerSession, reason: string): void
}

/** The outcome of {@link connectProviders}. */
export interface ProviderConnections {
  /** Connected when the first provider answered: that one first, then peers already connected. */
  sessions: PeerSession[]
  /**
   * Resolves when another provider dial settles (connected or failed): true then, false at once
   * when no dial is still pending. Lets a caller that ran out of peers to ask wait for the others.
   */
  next: () => Promise<boolean>
}

/**
 * Dials every provider at once and resolves as soon as one is connected (the others keep
 * connecting and join the swarm when they are ready). Peers already connected count too. With a
 * `search` (the node's discoveries), providers it finds count like given ones, as they are found;
 * it never delays the given ones. Rejects with NoProvidersError, listing each address and what
 * went wrong, if none connects: given providers all failed and the search (if any) gave up.
 */
export async function connectProviders (peers: PeerManager, providers: readonly string[], signal?: AbortSignal, search?: ProviderSearch): Promise<ProviderConnections> {
  const already = [...peers.sessions()].filter(s => !s.closed)
  let pending = providers.length
  const waiters: Array<(more: boolean) => void> = []
  const wakeAll = (): void => { for (const wake of waiters.splice(0)) wake(true) }
  const next = async (): Promise<boolean> => {
    if (pending === 0 && search?.moreMayCome !== true) return false
    return await new Promise<boolean>(resolve => { waiters.push(resolve) })
  }
  if (providers.length === 0 && search === undefined) {
    if (already.length > 0) return { sessions: already, next }
    throw new NoProvidersError('No providers given, no peers connected and no discovery configured; pass at least one provider address such as tcp://127.0.0.1:4001, or give the node a discovery such as dhtDiscovery() from @codio-chunk/discovery-dht')
  }
  const failures: string[] = []
  return await new Promise<ProviderConnections>((resolve, reject) => {
    let settled = false
    let unwatch = (): void => {}
    const finish = (outcome: () => void): void => {
      settled = true
      unwatch()
      signal?.removeEventListener('abort', onAbort)
      outcome()
    }
    const onAbort = (): void => {
      if (!settled) finish(() => { reject(abortError(signal as AbortSignal, 'download')) })
    }
    const giveUpIfDone = (): void => {
      if (settled || pending > 0 || (search !== undefined && !search.exhausted)) return
      if (already.length > 0) { finish(() => { resolve({ sessions: already, next }) }); return }
      const given = failures.length > 0 ? `given providers: ${failures.join('; ')}` : ''
      const found = search !== undefined ? `discovery: ${search.describe()}` : ''
      finish(() => { reject(new NoProvidersError(`No provider could be reached (${[given, found].filter(Boolean).join('; ')}); check the addresses, that the peers are running, and that the content id is right`)) })
    }
    const connected = (session: PeerSession): void => {
      wakeAll()
      if (!settled) finish(() => { resolve({ sessions: [session, ...already.filter(s => s !== session)], next }) })
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    if (search !== undefined) {
      unwatch = search.watch((session) => {
        if (session !== undefined && !session.closed) connected(session)
        else giveUpIfDone()
      })
      // The search wakes `next` (the manifest fetch waiting for providers) for as long as it runs.
      search.watch(wakeAll)
    }
    for (const address of providers) {
      peers.dial(address, { signal }).then(session => {
        pending--
        connected(session)
      }, (err: Error) => {
        failures.push(`${address}: ${err.message}`)
        pending--
        wakeAll()
        giveUpIfDone()
      })
    }
  })
}

/** Asks one peer for one block; resolves with the (unverified) bytes. */
async function requestBlock (ctx: BlockFetchContext, session: PeerSession, root: ContentId, block: CID, signal?: AbortSignal): Promise<Uint8Array> {
  return await new Promise<Uint8Array>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const onAbort = (): void => {
      if (request !== undefined) session.cancel(request, abortError(signal as AbortSignal, 'block request'))
    }
    const request = session.request({ type: 'request-block', content: root.cid, block }, ctx.requestTimeout, (outcome) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      if (outcome.ok) resolve(outcome.bytes)
      else reject(outcome.rejected !== undefined ? new RequestRejectedError(outcome.error.message, { cause: outcome.error }) : outcome.error)
    })
    if (request === undefined) {
      reject(new RequestRejectedError(`Connection to ${session.peerId} is closed`))
      return
    }
    timer = setTimeout(() => {
      session.countTimeout()
      session.cancel(request, new TimeoutError(`Peer ${session.peerId} did not send block ${block.toString()} within ${ctx.requestTimeout} ms`))
    }, ctx.requestTimeout)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Fetches one DAG block from the first peer that delivers bytes matching its CID, waiting (through
 * `more`) for providers still connecting once every connected peer has been asked. Every bad block
 * counts against the peer that sent it (`countBadChunk`, a ban at `maxBadChunks`), as a bad chunk
 * does: bytes that do not hash to the CID (then the next peer is asked), and bytes that hash to it
 * but that `check` (resolveManifest's `FetchBlockOptions.check`) refuses with
 * `InvalidManifestError` because they break the UnixFS rules or contradict their parents. That
 * error is thrown at once: every peer holds the same bytes for a CID, so asking another is useless.
 */
export async function fetchBlockFromPeers (
  ctx: BlockFetchContext,
  candidates: () => PeerSession[],
  root: ContentId,
  block: CID,
  signal?: AbortSignal,
  /** Waits for more candidates (providers still connecting); false when none can come. */
  more?: () => Promise<boolean>,
  /** Checks bytes that hash to `block`; throws InvalidManifestError for a block no valid content can hold. */
  check?: (bytes: Uint8Array) => void
): Promise<Uint8Array> {
  const problems: string[] = []
  const tried = new Set<PeerSession>()
  for (;;) {
    const session = candidates().find(s => !tried.has(s) && !s.closed)
    if (session === undefined) {
      // Every connected peer was asked; a provider still connecting may have the block.
      if (more !== undefined && await more()) {
        if (signal?.aborted === true) throw abortError(signal, 'download')
        continue
      }
      break
    }
    tried.add(session)
    let bytes: Uint8Array
    try {
      bytes = await requestBlock(ctx, session, root, block, signal)
      if (!await ctx.verify.verify(block, bytes)) {
        problems.push(`${session.peerId} sent a block that does not match its CID`)
        countBadBlock(ctx, session, 'sent manifest blocks that do not match their CIDs')
        continue
      }
    } catch (err) {
      if (signal?.aborted === true) throw abortError(signal, 'download')
      problems.push(`${session.peerId}: ${(err as Error).message}`)
      continue
    }
    try {
      check?.(bytes)
    } catch (err) {
      if (err instanceof InvalidManifestError) countBadBlock(ctx, session, 'sent manifest blocks that break the UnixFS rules')
      throw err
    }
    return bytes
  }
  const detail = problems.length > 0 ? problems.join('; ') : 'no peer connected'
  if (problems.some(p => p.includes('does not match'))) {
    throw new NoProvidersError(`No peer delivered block ${block.toString()} of ${root.toString()} intact (${detail})`, { cause: new ContentMismatchError(detail) })
  }
  throw new NoProvidersError(`No peer could deliver block ${block.toString()} of ${root.toString()} (${detail}); is the content id right and are the providers seeding it?`)
}

/** Counts a bad block against the peer that sent it, and bans the peer once it sent `maxBadChunks`. */
function countBadBlock (ctx: BlockFetchContext, session: PeerSession, reason: string): void {
  if (session.countBadChunk() >= ctx.maxBadChunks) ctx.ban(session, reason)
}
