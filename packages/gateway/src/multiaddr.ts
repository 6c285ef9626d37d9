import { parseAddress } from '@codio-chunk/protocol'

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/

/**
 * A codio-chunk peer address in multiaddr form, as delegated routing lists `Addrs`:
 * `tcp://h:p` is `/ip4|ip6|dns/h/tcp/p`, `quic://` and `quinn://` are `/…/udp/p/quic-v1`.
 * Undefined for an address of another scheme or one that does not parse. The multiaddr says where
 * the node listens; what it speaks there is the codio-chunk wire protocol (PROTOCOL.md), which
 * the record's `Protocols` names.
 *
 * @example
 * ```ts
 * toMultiaddr('tcp://127.0.0.1:4001')   // '/ip4/127.0.0.1/tcp/4001'
 * toMultiaddr('quic://[::1]:4002')      // '/ip6/::1/udp/4002/quic-v1'
 * toMultiaddr('tcp://example.com:4001') // '/dns/example.com/tcp/4001'
 * ```
 */
export function toMultiaddr (address: string): string | undefined {
  let parsed
  try {
    parsed = parseAddress(address)
  } catch {
    return undefined
  }
  const host = IPV4.test(parsed.host) ? `/ip4/${parsed.host}` : parsed.host.includes(':') ? `/ip6/${parsed.host}` : `/dns/${parsed.host}`
  if (parsed.scheme === 'tcp') return `${host}/tcp/${parsed.port}`
  if (parsed.scheme === 'quic' || parsed.scheme === 'quinn') return `${host}/udp/${parsed.port}/quic-v1`
  return undefined
}
