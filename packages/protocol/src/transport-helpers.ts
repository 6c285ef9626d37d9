import { InvalidAddressError, ListenError } from '@codio-chunk/interface'
import { formatAddress, parseAddress } from './address.js'
import { isPeerId } from './identity.js'

/** Host, port and the peer id an address names, for one transport's scheme. */
export interface TransportEndpoint {
  host: string
  port: number
  /** The peer id the address names (`/p2p/<id>`), if any. */
  peerId?: string
}

/**
 * Parses an address a transport was given, refusing other schemes with an `InvalidAddressError`
 * that names the transport and an example. Every transport starts its `listen` and `dial` with it.
 *
 * @example
 * ```ts
 * import { parseTransportAddress } from '@codio-chunk/protocol'
 * parseTransportAddress('quic://[::1]:4001', 'quic', 'QUIC')   // { host: '::1', port: 4001 }
 * parseTransportAddress('tcp://1.2.3.4:1', 'quic', 'QUIC')      // throws InvalidAddressError
 * ```
 */
export function parseTransportAddress (address: string, scheme: string, transport: string): TransportEndpoint {
  const parsed = parseAddress(address)
  if (parsed.scheme !== scheme) {
    throw new InvalidAddressError(`The ${transport} transport cannot use "${address}": it handles ${scheme}:// addresses only, e.g. ${scheme}://127.0.0.1:4001 or ${scheme}://[::1]:4001`)
  }
  const { host, port, peerId } = parsed
  return peerId === undefined ? { host, port } : { host, port, peerId }
}

/**
 * Formats a socket endpoint the operating system reports as an address of `scheme` (IPv6 in
 * brackets), naming `peerId` if given. Never throws: an endpoint `formatAddress` would refuse (an
 * exotic zone id) is still written readably, and a missing one is `scheme://0.0.0.0:0`.
 */
export function socketAddress (scheme: string, host: string | undefined, port: number | undefined, peerId?: string): string {
  if (host === undefined || port === undefined) return `${scheme}://0.0.0.0:0`
  try {
    return formatAddress(scheme, host, port, peerId)
  } catch {
    const hostPart = host.includes(':') ? `[${host}]` : host
    return `${scheme}://${hostPart}:${port}${peerId === undefined ? '' : `/p2p/${peerId}`}`
  }
}

/**
 * The peer id a dial expects: the one the address names, the one `dial`'s options give, or that
 * one id when both give it. Throws `InvalidAddressError` if the options' id is not a peer id or
 * the two disagree.
 */
export function expectedPeerId (address: string, named: string | undefined, given: string | undefined): string | undefined {
  if (given === undefined) return named
  if (!isPeerId(given)) throw new InvalidAddressError(`dial(${address}, { peerId: "${given}" }): that is not a peer id (expected a libp2p Ed25519 PeerId such as 12D3KooW…)`)
  if (named !== undefined && named !== given) throw new InvalidAddressError(`dial(${address}, { peerId }): the address names peer id ${named} but the options name ${given}; give one of them`)
  return given
}

/** Operating-system errors of a failed listen, by errno code and by the text native libraries give. */
const LISTEN_FAILURES: ReadonlyArray<{ code: string, text: RegExp, say: (address: string, port: string) => string }> = [
  { code: 'EADDRINUSE', text: /in use|os error 98/i, say: (a, port) => `Cannot listen on ${a}: the ${port} is already in use. Stop the other process or choose another port (port 0 picks a free one)` },
  { code: 'EADDRNOTAVAIL', text: /not available|os error 99/i, say: (a) => `Cannot listen on ${a}: the host is not an address of this machine. Use one of its addresses, or 0.0.0.0 / [::] for all` },
  { code: 'EACCES', text: /permission|os error 13/i, say: (a) => `Cannot listen on ${a}: permission denied. Ports below 1024 need privileges; choose a higher port` }
]

/**
 * A `ListenError` that says what to do about why listening on `address` failed: the port in use,
 * an address not of this machine, a privileged port. `err` may carry an errno `code` (Node.js
 * sockets, possibly as a `cause`) or only a message (native bindings). `port` names the kind of
 * port in the message ("port", "UDP port").
 */
export function listenError (address: string, err: unknown, port = 'port'): ListenError {
  let cause: unknown = err
  while (cause instanceof Error && codeOf(cause) === undefined && cause.cause !== undefined) cause = cause.cause
  const code = codeOf(cause)
  const message = (err as Error)?.message ?? String(err)
  const known = LISTEN_FAILURES.find(f => code !== undefined ? f.code === code : f.text.test(message))
  return new ListenError(known !== undefined ? known.say(address, port) : `Cannot listen on ${address}: ${message}`, { cause: err })
}

function codeOf (err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : undefined
}
