/**
 * Where the page finds providers: addresses typed in (or given in the URL), else a gateway's
 * Delegated Routing endpoint (`GET /routing/v1/providers/{cid}`), whose answers may carry
 * codio-chunk addresses (`ws://…`) or libp2p multiaddrs (`/ip4/…/tcp/…/ws/p2p/…`).
 */

/** The `ws://` and `wss://` addresses in free text (commas, spaces or new lines between them). */
export function parseAddressList (text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map(a => a.trim()).filter(a => /^wss?:\/\//i.test(a)))]
}

/** A codio-chunk address for a libp2p WebSocket multiaddr, or undefined for any other. */
export function multiaddrToAddress (multiaddr: string, peerId?: string): string | undefined {
  const parts = multiaddr.split('/').filter(p => p !== '')
  if (parts.length < 5 || parts[2] !== 'tcp') return undefined
  const [proto, host, , port, kind, ...rest] = parts
  const hostPart = proto === 'ip6' ? `[${host}]` : proto === 'ip4' || proto === 'dns' || proto === 'dns4' || proto === 'dns6' ? host : undefined
  if (hostPart === undefined) return undefined
  const scheme = kind === 'ws' ? 'ws' : kind === 'wss' || (kind === 'tls' && rest[0] === 'ws') ? 'wss' : undefined
  if (scheme === undefined) return undefined
  const p2p = rest.indexOf('p2p')
  const id = p2p !== -1 ? rest[p2p + 1] : peerId
  return `${scheme}://${hostPart}:${port}${id !== undefined ? `/p2p/${id}` : ''}`
}

interface RoutingProvider {
  ID?: string
  Addrs?: string[]
}

/**
 * Asks a gateway for the providers of `cid` and returns their WebSocket addresses. Throws with a
 * message a person can act on when the gateway cannot be reached or knows none.
 */
export async function providersFromGateway (gateway: string, cid: string, signal?: AbortSignal): Promise<string[]> {
  const url = `${gateway.replace(/\/+$/, '')}/routing/v1/providers/${encodeURIComponent(cid)}`
  let response: Response
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal })
  } catch (err) {
    throw new Error(`Could not reach the gateway at ${gateway} (${(err as Error).message}); check its URL, or give node addresses instead`)
  }
  if (response.status === 404) return []
  if (!response.ok) throw new Error(`The gateway answered ${response.status} ${response.statusText} for ${url}`)
  const body = await response.json() as { Providers?: RoutingProvider[] | null }
  const out: string[] = []
  for (const provider of body.Providers ?? []) {
    for (const addr of provider.Addrs ?? []) {
      const address = /^wss?:\/\//.test(addr) ? addr : multiaddrToAddress(addr, provider.ID)
      if (address !== undefined && !out.includes(address)) out.push(address)
    }
  }
  return out
}
