import { InvalidAddressError } from '@codio-chunk/interface'
import { isPeerId } from './identity.js'

/** The parts of a peer address such as `tcp://127.0.0.1:4001` or `quic://[::1]:4002/p2p/12D3KooW…`. */
export interface ParsedAddress {
  /** Lower-case scheme without `://`, e.g. `tcp`. */
  scheme: string
  /** IPv4 address, IPv6 address (without brackets) or host name. */
  host: string
  /** Port, 0..65535. */
  port: number
  /**
   * The peer id the address names (`/p2p/<peer id>` suffix), if any: the peer expected there.
   * Transports that authenticate peers (QUIC) refuse a peer with another id; others ignore it.
   */
  peerId?: string
}

const MAX_ADDRESS_LENGTH = 1024
/** Separates an address's host and port from the peer id it names, as in libp2p multiaddrs. */
const PEER_ID_SEPARATOR = '/p2p/'
const FORM = 'scheme://host:port or scheme://host:port/p2p/<peer id>, e.g. tcp://127.0.0.1:4001, tcp://[::1]:4001, tcp://example.com:4001 or quic://127.0.0.1:4002/p2p/12D3KooW…'

/**
 * Splits a peer address of the form `scheme://host:port`, optionally followed by
 * `/p2p/<peer id>` naming the peer expected there (a libp2p Ed25519 PeerId, `12D3KooW…`). IPv6
 * hosts are written in brackets (`tcp://[::1]:4001`); host names are allowed. The scheme is
 * lower-cased. Throws `InvalidAddressError` for anything else.
 *
 * @example
 * ```ts
 * import { parseAddress } from '@codio-chunk/core'
 * parseAddress('tcp://[::1]:4001')   // { scheme: 'tcp', host: '::1', port: 4001 }
 * parseAddress('quic://example.com:443').host   // 'example.com'
 * parseAddress('quic://127.0.0.1:4002/p2p/12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV').peerId
 * // '12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV'
 * ```
 */
export function parseAddress (address: string): ParsedAddress {
  if (typeof address !== 'string') throw invalid(String(address), 'it is not a string')
  if (address.length > MAX_ADDRESS_LENGTH) throw invalid(address.slice(0, 64) + '…', `it is longer than ${MAX_ADDRESS_LENGTH} characters`)
  const sep = address.indexOf('://')
  if (sep <= 0) throw invalid(address, 'it has no scheme')
  const scheme = address.slice(0, sep).toLowerCase()
  if (!isScheme(scheme)) throw invalid(address, `"${address.slice(0, sep)}" is not a valid scheme`)
  let rest = address.slice(sep + 3)
  let peerId: string | undefined
  const p2p = rest.indexOf(PEER_ID_SEPARATOR)
  if (p2p !== -1) {
    peerId = rest.slice(p2p + PEER_ID_SEPARATOR.length)
    rest = rest.slice(0, p2p)
    if (!isPeerId(peerId)) throw invalid(address, `"${peerId}" is not a peer id (expected a libp2p Ed25519 PeerId such as 12D3KooW…)`)
  }
  let host: string
  let portText: string
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']')
    if (close === -1) throw invalid(address, 'the IPv6 host has no closing bracket')
    host = rest.slice(1, close)
    if (!isIpv6(host)) throw invalid(address, `"${host}" is not an IPv6 address`)
    if (rest[close + 1] !== ':') throw invalid(address, 'the port is missing after the IPv6 host')
    portText = rest.slice(close + 2)
  } else {
    const colon = rest.lastIndexOf(':')
    if (colon === -1) throw invalid(address, 'the port is missing')
    host = rest.slice(0, colon)
    portText = rest.slice(colon + 1)
    if (host.includes(':')) throw invalid(address, 'IPv6 hosts must be written in brackets, e.g. tcp://[::1]:4001')
    if (!isHostName(host)) throw invalid(address, `"${host}" is not a valid IPv4 address or host name`)
  }
  const port = parsePort(portText)
  if (port === undefined) throw invalid(address, `"${portText}" is not a port number in 0..65535`)
  return peerId === undefined ? { scheme, host, port } : { scheme, host, port, peerId }
}

/**
 * Builds a peer address from its parts, putting IPv6 hosts in brackets and appending
 * `/p2p/<peerId>` when a peer id is given. Throws `InvalidAddressError` for an invalid scheme,
 * host, port or peer id.
 *
 * @example
 * ```ts
 * import { formatAddress } from '@codio-chunk/core'
 * formatAddress('tcp', '::1', 4001)        // 'tcp://[::1]:4001'
 * formatAddress('tcp', '127.0.0.1', 4001)  // 'tcp://127.0.0.1:4001'
 * formatAddress('quic', '::1', 4002, '12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV')
 * // 'quic://[::1]:4002/p2p/12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV'
 * ```
 */
export function formatAddress (scheme: string, host: string, port: number, peerId?: string): string {
  const hostPart = host.includes(':') ? `[${host}]` : host
  const address = `${scheme}://${hostPart}:${port}${peerId === undefined ? '' : PEER_ID_SEPARATOR + peerId}`
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(address, `${port} is not a port number in 0..65535`)
  // Validate by parsing the result, so formatAddress never yields what parseAddress rejects.
  parseAddress(address)
  return address
}

function invalid (address: string, why: string): InvalidAddressError {
  return new InvalidAddressError(`Invalid address "${address}": ${why}. Expected ${FORM}`)
}

function isScheme (text: string): boolean {
  return /^[a-z][a-z0-9+.-]*$/.test(text)
}

function parsePort (text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined
  const port = Number(text)
  return port <= 65535 ? port : undefined
}

function isIpv6 (text: string): boolean {
  // Hex groups, colons, an optional embedded IPv4 tail and an optional zone id (`fe80::1%eth0`).
  const zone = text.indexOf('%')
  const addr = zone === -1 ? text : text.slice(0, zone)
  if (zone !== -1 && !/^%[A-Za-z0-9_.-]+$/.test(text.slice(zone))) return false
  if (!/^[0-9A-Fa-f:.]+$/.test(addr) || !addr.includes(':')) return false
  const doubleColons = addr.split('::').length - 1
  if (doubleColons > 1) return false
  let groups = addr.split(':')
  const last = groups[groups.length - 1]
  let extra = 0
  if (last.includes('.')) {
    if (!isIpv4(last)) return false
    groups = groups.slice(0, -1)
    extra = 2
  }
  const filled = groups.filter(g => g !== '')
  if (!filled.every(g => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false
  const count = filled.length + extra
  if (doubleColons === 0) return filled.length === groups.length && count === 8
  if (addr.includes(':::')) return false
  if (addr.startsWith(':') && !addr.startsWith('::')) return false
  if (addr.endsWith(':') && !addr.endsWith('::')) return false
  return count <= 7
}

function isIpv4 (text: string): boolean {
  const parts = text.split('.')
  return parts.length === 4 && parts.every(p => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255)
}

function isHostName (text: string): boolean {
  if (text.length === 0 || text.length > 253) return false
  if (/^[0-9.]+$/.test(text)) return isIpv4(text)
  return text.split('.').every(label => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label))
}

/** True for a wildcard host (`0.0.0.0`, `::` or a long form of it): "every address of this machine". */
export function isUnspecifiedHost (host: string): boolean {
  return host === '0.0.0.0' || host === '::' || /^(0{0,4}:){2,7}0{0,4}$/.test(host)
}
