import { checkRecord, equalBytes } from './record-check.js'
import type { ProviderRecord } from '@codio-chunk/interface'
import type { DhtNode, Endpoint } from './dht-node.js'
import type { MutableItem } from './record-check.js'

/** What resolving one provider endpoint gave. */
export type Resolution =
  | { kind: 'provider', provider: ProviderRecord & { peerId: string }, via: 'direct' | 'dht' }
  /** Nothing to yield and nothing wrong: no answer, no record, or this node itself. */
  | { kind: 'none', reason: string }
  /** A record came back and failed a check: dropped. */
  | { kind: 'rejected', reason: string }

/** What a resolution needs. */
export interface ResolveContext {
  node: Pick<DhtNode, 'ping' | 'getFrom' | 'getAnywhere'>
  /** This node's DHT id: an endpoint answering with it is this node (or claims to be). */
  ownId: Uint8Array
  schemes: ReadonlySet<string>
}

/**
 * Turns a provider endpoint from a lookup (the `host:port` of the provider's DHT socket) into the
 * provider's peer id and addresses: asks the endpoint for its node id (`ping`), asks it for the
 * BEP 44 item at that id (the provider's signed record, which its node serves itself), and
 * checks the record ({@link checkRecord}). When the endpoint answers the ping but has no record,
 * the item is looked up across the DHT instead (the provider stored it on the nodes closest to
 * its id). Nothing is guessed: no verified record, no provider.
 *
 * @example
 * ```ts
 * import { resolveProvider } from './provider-resolver.js'
 * const result = await resolveProvider({ host: '10.0.0.5', port: 6881 }, { node, ownId, schemes: new Set(['tcp']) })
 * if (result.kind === 'provider') console.log(result.provider.peerId, result.provider.addresses)
 * ```
 */
export async function resolveProvider (endpoint: Endpoint, context: ResolveContext): Promise<Resolution> {
  let id: Uint8Array
  try {
    id = await context.node.ping(endpoint)
  } catch (err) {
    return { kind: 'none', reason: `no answer to ping (${(err as Error).message})` }
  }
  if (equalBytes(id, context.ownId)) return { kind: 'none', reason: 'it answers with this node\'s id' }
  let item: MutableItem | undefined
  try {
    item = await context.node.getFrom(endpoint, id)
  } catch {
    item = undefined
  }
  let via: 'direct' | 'dht' = 'direct'
  if (item === undefined) {
    via = 'dht'
    try {
      item = await context.node.getAnywhere(id)
    } catch {
      item = undefined
    }
    if (item === undefined) return { kind: 'none', reason: 'no record from it or from the DHT' }
  }
  const check = checkRecord(item, { target: id, seenHost: endpoint.host, schemes: context.schemes })
  if (!check.ok) return { kind: 'rejected', reason: check.reason }
  return { kind: 'provider', provider: check.provider, via }
}
