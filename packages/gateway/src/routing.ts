import { ContentId } from '@codio-chunk/interface'
import { toMultiaddr } from './multiaddr.js'
import { parseAccept } from './negotiate.js'
import { sendBody } from './send.js'
import type { OutgoingHttpHeaders } from 'node:http'
import type { CID } from 'multiformats/cid'
import type { GatewayContext } from './retrieval.js'
import type { RequestScope } from './request-scope.js'

/** The name a provider record gives the codio-chunk wire protocol in `Protocols`. */
export const PROTOCOL_NAME = 'codio-chunk'

/** A delegated routing v1 provider record (the `peer` schema), with our addresses alongside. */
export interface PeerRecord {
  Schema: 'peer'
  ID: string
  Addrs: string[]
  Protocols: string[]
  /** The protocol's own field (the spec lets clients ignore unknown fields): addresses as codio-chunk dials them. */
  'codio-chunk': { addresses: string[] }
}

/**
 * Answers `GET /routing/v1/providers/{cid}` as the delegated routing v1 spec describes:
 * `{"Providers":[{"Schema":"peer","ID":…,"Addrs":[…],"Protocols":["codio-chunk"],…}]}`, or one
 * record per line as they are found with `Accept: application/x-ndjson`. The records are this
 * node itself when it holds the whole content, then what the node's discoveries find
 * (`node.findProviders`) within `routingTimeout`, at most `maxRoutingProviders`, each peer once.
 * `Addrs` are multiaddrs (`/ip4/…/tcp/…`, see {@link toMultiaddr}) of codio-chunk listeners, which
 * `Protocols` names; the `codio-chunk` field repeats them as `tcp://…` addresses. A discovery record
 * without a peer id (trackers know only addresses) gets the id of a connected peer at one of those
 * addresses, else it is left out: the `peer` schema needs an `ID`. No record is a 200 with an empty
 * list (the spec's advice), cached briefly; a CID that is no content id this node could hold also
 * gets an empty list.
 *
 * @example
 * ```ts
 * await serveProviders(ctx, scope, cid)
 * ```
 */
export async function serveProviders (ctx: GatewayContext, scope: RequestScope, cid: CID): Promise<void> {
  const { req, res } = scope
  const stream = parseAccept(req.headers.accept).some(t => t.name === 'application/x-ndjson')
  const headers: OutgoingHttpHeaders = {
    'Content-Type': stream ? 'application/x-ndjson' : 'application/json',
    Vary: 'Accept',
    'Last-Modified': new Date().toUTCString(),
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, OPTIONS',
    'X-Content-Type-Options': 'nosniff'
  }
  const signal = AbortSignal.any([scope.signal, AbortSignal.timeout(ctx.options.routingTimeout)])
  const records = providerRecords(ctx, cid, signal)
  if (stream) {
    headers['Cache-Control'] = 'public, max-age=15'
    res.writeHead(200, headers)
    if (scope.head) { res.end(); return }
    await sendBody(res, ndjson(records), { sendTimeout: ctx.options.sendTimeout })
    return
  }
  const found: PeerRecord[] = []
  for await (const record of records) found.push(record)
  const body = Buffer.from(JSON.stringify({ Providers: found }))
  headers['Cache-Control'] = found.length > 0 ? 'public, max-age=300' : 'public, max-age=15'
  headers['Content-Length'] = body.length
  res.writeHead(200, headers)
  res.end(scope.head ? undefined : body)
}

async function * ndjson (records: AsyncIterable<PeerRecord>): AsyncGenerator<Uint8Array> {
  for await (const record of records) yield Buffer.from(JSON.stringify(record) + '\n')
}

/** The provider records of a content, this node first, each peer once, bounded in number and time. */
async function * providerRecords (ctx: GatewayContext, cid: CID, signal: AbortSignal): AsyncGenerator<PeerRecord> {
  const { node, options } = ctx
  let root: ContentId
  try {
    root = ContentId.fromCid(cid)
  } catch {
    return
  }
  const sent = new Set<string>()
  const have = await node.storage.completed(root).catch(() => undefined)
  if (have?.complete === true) {
    sent.add(node.peerId)
    yield record(node.peerId, node.addresses)
  }
  if (sent.size >= options.maxRoutingProviders) return
  const connected = new Map<string, string>()
  for (const peer of node.peerStats()) connected.set(peer.address, peer.peerId)
  try {
    for await (const found of node.findProviders(root, { signal })) {
      const id = found.peerId ?? found.addresses.map(a => connected.get(a)).find(p => p !== undefined)
      if (id === undefined || sent.has(id)) continue
      sent.add(id)
      yield record(id, [...found.addresses])
      if (sent.size >= options.maxRoutingProviders) return
    }
  } catch (err) {
    // The deadline ends the lookup: what was found so far is the answer.
    if (!signal.aborted) ctx.log('provider lookup for %s failed: %s', root.toString(), (err as Error).message)
  }
}

function record (id: string, addresses: string[]): PeerRecord {
  const multiaddrs = addresses.map(toMultiaddr).filter((a): a is string => a !== undefined)
  return { Schema: 'peer', ID: id, Addrs: multiaddrs, Protocols: [PROTOCOL_NAME], 'codio-chunk': { addresses } }
}
