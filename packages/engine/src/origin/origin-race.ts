import { InvalidManifestError, NoProvidersError, abortError } from '@codio-chunk/interface'
import type { ProviderConnections } from '../download/providers.js'
import type { PeerSession } from '../peers/peer-session.js'

/**
 * Peers first, the origins after `delay`: resolves with the first of the two that succeeds. The
 * origins are asked at once when the peers fail (no peer connected, none has the block), and
 * after `delay` when the peers have not delivered by then; the loser is aborted. An
 * `InvalidManifestError` from the peers ends it at once (the block is bad whoever sends it).
 * Rejects with the peers' error when both fail (the origins' problem added to its message), or
 * AbortError when `signal` fires.
 *
 * @example
 * ```ts
 * const block = await peersThenOrigins(
 *   async (signal) => await fetchBlockFromPeers(ctx, candidates, root, cid, signal),
 *   async (signal) => await pool.fetchBlock(root, cid, { maxBytes, signal }),
 *   3000, signal)
 * ```
 */
export async function peersThenOrigins<T> (
  fromPeers: (signal: AbortSignal) => Promise<T>,
  fromOrigins: (signal: AbortSignal) => Promise<T>,
  delay: number,
  signal?: AbortSignal
): Promise<T> {
  if (signal?.aborted === true) throw abortError(signal, 'download')
  const peers = new AbortController()
  const origins = new AbortController()
  return await new Promise<T>((resolve, reject) => {
    let settled = false
    let originsAsked = false
    let running = 1
    let peerError: Error | undefined
    let originError: Error | undefined
    const finish = (outcome: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      peers.abort()
      origins.abort()
      outcome()
    }
    const onAbort = (): void => { finish(() => { reject(abortError(signal as AbortSignal, 'download')) }) }
    const failed = (): void => {
      if (--running > 0) return
      finish(() => {
        const first = peerError ?? originError ?? new NoProvidersError('Neither peers nor origins delivered')
        if (originError === undefined || originError === first) { reject(first); return }
        reject(new NoProvidersError(`${first.message}; origins: ${originError.message}`, { cause: first }))
      })
    }
    const askOrigins = (): void => {
      if (originsAsked || settled) return
      originsAsked = true
      running++
      clearTimeout(timer)
      fromOrigins(origins.signal).then((value) => { finish(() => { resolve(value) }) }, (err: Error) => {
        originError = err
        failed()
      })
    }
    const timer = setTimeout(askOrigins, delay)
    signal?.addEventListener('abort', onAbort, { once: true })
    fromPeers(peers.signal).then((value) => { finish(() => { resolve(value) }) }, (err: Error) => {
      peerError = err
      if (err instanceof InvalidManifestError) { finish(() => { reject(err) }); return }
      askOrigins()
      failed()
    })
  })
}

/**
 * The provider connections of a fetch that may fall back to origins: what `connecting` (the
 * providers being dialled and looked up) resolves with if it comes within `delay`; otherwise the
 * peers connected now, so the fetch can go on with the origins while the providers keep
 * connecting and join the swarm when they do. No provider at all (NoProvidersError) gives the
 * peers connected now, possibly none, at once. Other errors (AbortError) are passed on.
 *
 * @example
 * ```ts
 * const connections = await connectionsOrNone(connectProviders(peers, providers, signal, search), 3000, () => [...peers.sessions()], signal)
 * ```
 */
export async function connectionsOrNone (
  connecting: Promise<ProviderConnections>,
  delay: number,
  connected: () => PeerSession[],
  signal?: AbortSignal
): Promise<ProviderConnections> {
  let resolved: ProviderConnections | undefined
  let failed = false
  connecting.then((c) => { resolved = c }, () => { failed = true })
  // After a first wait for `connecting`, its own `next` takes over: "more may come" must not stay true for ever.
  const next = async (): Promise<boolean> => {
    if (resolved !== undefined) return await resolved.next()
    if (failed) return false
    try {
      resolved = await connecting
      return true
    } catch {
      return false
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<'late'>(resolve => { timer = setTimeout(() => { resolve('late') }, delay) })
  try {
    const first = await Promise.race([connecting, late])
    if (first !== 'late') return first
  } catch (err) {
    if (!(err instanceof NoProvidersError) || signal?.aborted === true) throw err
    return { sessions: connected(), next: async () => false }
  } finally {
    clearTimeout(timer)
  }
  return { sessions: connected(), next }
}
