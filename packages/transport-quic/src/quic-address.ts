import { InvalidAddressError, formatAddress, parseAddress } from '@codio-chunk/core'

/** Host, port and expected peer id of a `quic://host:port[/p2p/<peer id>]` address. */
export interface QuicEndpoint {
  host: string
  port: number
  /** The peer id the address names, if any. */
  peerId?: string
}

/** Parses a `quic://` address, rejecting other schemes with `InvalidAddressError`. */
export function parseQuicAddress (address: string): QuicEndpoint {
  const { scheme, host, port, peerId } = parseAddress(address)
  if (scheme !== 'quic') {
    throw new InvalidAddressError(`The QUIC transport cannot use "${address}": it handles quic:// addresses only, e.g. quic://127.0.0.1:4001 or quic://[::1]:4001/p2p/12D3KooW…`)
  }
  return peerId === undefined ? { host, port } : { host, port, peerId }
}

/** Formats a socket endpoint as a `quic://` address (IPv6 in brackets), naming `peerId` if given. */
export function quicAddress (host: string | undefined, port: number | undefined, peerId?: string): string {
  if (host === undefined || port === undefined) return 'quic://0.0.0.0:0'
  try {
    return formatAddress('quic', host, port, peerId)
  } catch {
    // An address the OS reports but parseAddress would refuse (an exotic zone id): keep it readable.
    const hostPart = host.includes(':') ? `[${host}]` : host
    return `quic://${hostPart}:${port}${peerId === undefined ? '' : `/p2p/${peerId}`}`
  }
}

/** The `quic://host:port` part of an address, without any `/p2p/` peer id. */
export function withoutPeerId (address: string): string {
  const at = address.indexOf('/p2p/')
  return at === -1 ? address : address.slice(0, at)
}
