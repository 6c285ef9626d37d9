import { InvalidAddressError, formatAddress, parseAddress } from '@codio-chunk/core'

/** Host and port of a `tcp://host:port` address. */
export interface TcpEndpoint {
  host: string
  port: number
}

/** Parses a `tcp://` address, rejecting other schemes with `InvalidAddressError`. */
export function parseTcpAddress (address: string): TcpEndpoint {
  const { scheme, host, port } = parseAddress(address)
  if (scheme !== 'tcp') {
    throw new InvalidAddressError(`The TCP transport cannot use "${address}": it handles tcp:// addresses only, e.g. tcp://127.0.0.1:4001`)
  }
  return { host, port }
}

/** Formats a socket endpoint as a `tcp://` address (IPv6 in brackets). */
export function tcpAddress (host: string | undefined, port: number | undefined): string {
  if (host === undefined || port === undefined) return 'tcp://0.0.0.0:0'
  try {
    return formatAddress('tcp', host, port)
  } catch {
    // An address the OS reports but parseAddress would refuse (an exotic zone id): keep it readable.
    return host.includes(':') ? `tcp://[${host}]:${port}` : `tcp://${host}:${port}`
  }
}
