import { EndpointQueue } from './endpoint-queue.js'
import { hex } from './dht-node.js'
import { resolveProvider } from './provider-resolver.js'
import type { Logger, ProviderRecord } from '@codio-chunk/interface'
import type { DhtNode, Endpoint } from './dht-node.js'
import type { Resolution } from './provider-resolver.js'
import type { ResolutionCache } from './resolution-cache.js'

/** Most endpoints accepted from one answering DHT node in one lookup (an honest one sends up to 100). */
export const MAX_ENDPOINTS_PER_SOURCE = 32
/** Share of the resolutions in flight one answering node's endpoints may take while others wait (half when none does). */
const ACTIVE_SHARE_PER_SOURCE = 1 / 4

/** Counters a lookup adds to (the discovery's `stats()`). */
export interface LookupCounters {
  lookups: number
  /** Provider endpoints taken from lookups (to be resolved). */
  endpointsAccepted: number
  /** Provider endpoints left out: over `maxProvidersPerLookup` or {@link MAX_ENDPOINTS_PER_SOURCE}. */
  endpointsRefused: number
  /** Records fetched that failed a check. */
  recordsRejected: number
  /** Providers yielded. */
  providersFound: number
  /** Most record resolutions that ran at once in any lookup. */
  peakResolutions: number
}

/** What one lookup needs. */
export interface LookupContext {
  node: Pick<DhtNode, 'lookup' | 'ping' | 'getFrom' | 'getAnywhere'>
  ownId: Uint8Array
  ownPeerId: string
  schemes: ReadonlySet<string>
  /** Records verified in the last minute, shared by the discovery's lookups. */
  cache: ResolutionCache
  maxEndpoints: number
  resolveConcurrency: number
  resolveTimeout: number
  lookupTimeout: number
  /** Aborts when the discovery stops. */
  lifetime: AbortSignal
  counters: LookupCounters
  log: Logger
}

/**
 * The providers of the content whose DHT key is `infoHash`, each yielded as soon as its record
 * is verified. The lookup's peer endpoints go into an {@link EndpointQueue} (bounded, fair
 * across the nodes that named them, one node's endpoints taking a quarter of the resolutions
 * when others wait, half when none does); up to `resolveConcurrency` are resolved at once
 * ({@link resolveProvider}), each within `resolveTimeout`; a record verified for the same
 * endpoint in the last minute is reused. Ends when the lookup converged and
 * every accepted endpoint was resolved, after `lookupTimeout`, when `signal` aborts or the
 * discovery stops, whichever comes first, never with an error. A peer id is yielded once;
 * this node never.
 *
 * @example
 * ```ts
 * import { findProvidersOf } from './find-providers.js'
 * for await (const provider of findProvidersOf(contentKey(cid), context, AbortSignal.timeout(10_000))) {
 *   console.log(provider.peerId, provider.addresses)
 * }
 * ```
 */
export async function * findProvidersOf (infoHash: Uint8Array, context: LookupContext, signal?: AbortSignal): AsyncGenerator<ProviderRecord> {
  const { counters, log } = context
  const started = Date.now()
  const key = hex(infoHash)
  const end = new AbortController()
  const ended = end.signal
  const onAbort = (): void => { end.abort() }
  signal?.addEventListener('abort', onAbort, { once: true })
  context.lifetime.addEventListener('abort', onAbort, { once: true })
  const cap = setTimeout(onAbort, context.lookupTimeout)
  if (signal?.aborted === true || context.lifetime.aborted) end.abort()

  const queue = new EndpointQueue({
    maxEndpoints: context.maxEndpoints,
    maxPerSource: MAX_ENDPOINTS_PER_SOURCE,
    maxActivePerSource: Math.max(1, Math.ceil(context.resolveConcurrency * ACTIVE_SHARE_PER_SOURCE)),
    maxActive: context.resolveConcurrency
  })
  const found: ProviderRecord[] = []
  const yielded = new Set<string>([context.ownPeerId])
  let inFlight = 0
  let lookupDone = false
  let resolved = 0
  let wake: (() => void) | undefined
  const notify = (): void => {
    const resume = wake
    wake = undefined
    resume?.()
  }
  ended.addEventListener('abort', notify, { once: true })

  const settle = (endpoint: Endpoint, result: Resolution | { kind: 'cached', provider: ProviderRecord & { peerId: string } }): void => {
    resolved++
    if (result.kind === 'rejected') {
      counters.recordsRejected++
      log('dropped the record of %s:%d: %s', endpoint.host, endpoint.port, result.reason)
    } else if (result.kind === 'provider' || result.kind === 'cached') {
      const { provider } = result
      if (result.kind === 'provider') context.cache.set(endpoint, provider)
      if (yielded.has(provider.peerId) || ended.aborted) return
      yielded.add(provider.peerId)
      counters.providersFound++
      const via = result.kind === 'cached' ? 'verified in the last minute' : result.via === 'direct' ? 'its own node' : 'the DHT'
      log('provider %s at %s (record from %s:%d, %s)', provider.peerId, provider.addresses.join(' '), endpoint.host, endpoint.port, via)
      found.push(provider)
    }
  }

  const pump = (): void => {
    while (inFlight < context.resolveConcurrency && !ended.aborted) {
      const taken = queue.take()
      if (taken === undefined) return
      const { endpoint } = taken
      const cached = context.cache.get(endpoint)
      if (cached !== undefined) {
        queue.release(taken)
        settle(endpoint, { kind: 'cached', provider: cached })
        notify()
        continue
      }
      inFlight++
      if (inFlight > counters.peakResolutions) counters.peakResolutions = inFlight
      void withTimeout(resolveProvider(endpoint, context), context.resolveTimeout).then((result) => {
        settle(endpoint, result)
      }).finally(() => {
        queue.release(taken)
        inFlight--
        pump()
        notify()
      })
    }
  }

  counters.lookups++
  const lookup = context.node.lookup(infoHash, (peer, from) => {
    if (ended.aborted) return
    const offered = queue.offer(peer, from)
    if (offered === 'queued') {
      counters.endpointsAccepted++
      pump()
    } else if (offered !== 'duplicate') {
      counters.endpointsRefused++
    }
  })
  lookup.done.then(() => {
    lookupDone = true
    notify()
  }, (err: unknown) => {
    log('lookup %s failed: %s', key, (err as Error)?.message ?? String(err))
    lookupDone = true
    notify()
  })

  try {
    while (true) {
      while (found.length > 0) yield found.shift() as ProviderRecord
      if (ended.aborted) break
      if (lookupDone && inFlight === 0 && queue.size === 0) break
      await new Promise<void>(resolve => { wake = resolve })
    }
  } finally {
    const why = context.lifetime.aborted ? 'stopped' : signal?.aborted === true ? 'aborted' : ended.aborted ? 'timed out' : 'done'
    clearTimeout(cap)
    signal?.removeEventListener('abort', onAbort)
    context.lifetime.removeEventListener('abort', onAbort)
    end.abort()
    lookup.stop()
    log('lookup %s %s after %d ms: %d providers from %d endpoints resolved (%d accepted, %d refused)',
      key, why, Date.now() - started, yielded.size - 1, resolved, queue.accepted, queue.refused)
  }
}

async function withTimeout (promise: Promise<Resolution>, ms: number): Promise<Resolution> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<Resolution>(resolve => {
    timer = setTimeout(() => { resolve({ kind: 'none', reason: `no record within ${ms} ms` }) }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
