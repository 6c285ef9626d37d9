import { InvalidAddressError } from '@codio-chunk/interface'
import { formatAddress, isPeerId, parseTransportAddress } from '@codio-chunk/protocol'

/** Host, port and expected peer id of a `quinn://host:port[/p2p/<peer id>]` address. */
export interface QuinnEndpoint {
  /** An IPv4 or IPv6 address (the binding takes no host names). */
  host: string
  port: number
  /** 4 or 6. */
  family: 4 | 6
  /** The peer id the address names, if any. */
  peerId?: string
}

/**
 * Parses a `quinn://` address. Rejects other schemes and host names (the native endpoint takes IP
 * addresses only) with `InvalidAddressError`.
 */
export function parseQuinnAddress (address: string): QuinnEndpoint {
  const { host, port, peerId } = parseTransportAddress(address, 'quinn', 'quinn')
  const family = host.includes(':') ? 6 : /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? 4 : undefined
  if (family === undefined) throw new InvalidAddressError(`The quinn transport cannot use "${address}": give an IP address, not a host name (resolve "${host}" first)`)
  if (host.includes('%')) throw new InvalidAddressError(`The quinn transport cannot use "${address}": IPv6 zone ids are not supported`)
  return peerId === undefined ? { host, port, family } : { host, port, family, peerId }
}

/** Formats a socket endpoint as a `quinn://` address (IPv6 in brackets), naming `peerId` if given. */
export function quinnAddress (host: string, port: number, peerId?: string): string {
  return formatAddress('quinn', host, port, peerId)
}

/**
 * Reads the address and peer id out of the binding's `/ip4/<ip>/udp/<port>/quic-v1/p2p/<id>`.
 * Undefined if it is not of that form.
 */
export function fromMultiaddr (multiaddr: string): { host: string, port: number, peerId: string } | undefined {
  const parts = multiaddr.split('/')
  if (parts.length !== 8 || (parts[1] !== 'ip4' && parts[1] !== 'ip6') || parts[3] !== 'udp' || parts[6] !== 'p2p') return undefined
  const port = Number(parts[4])
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !isPeerId(parts[7])) return undefined
  return { host: parts[2], port, peerId: parts[7] }
}
