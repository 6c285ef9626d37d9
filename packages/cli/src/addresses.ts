import { networkInterfaces } from 'node:os'
import { isUnspecifiedHost, parseAddress, formatAddress } from '@codio-chunk/core'

/**
 * Addresses other machines can dial: a listen address on 0.0.0.0 or [::] becomes one address per
 * network interface of this machine (IPv4 for 0.0.0.0, both families for [::]).
 *
 * @example
 * ```ts
 * dialableAddresses(['tcp://0.0.0.0:4001']) // ['tcp://127.0.0.1:4001', 'tcp://10.0.0.5:4001']
 * ```
 */
export function dialableAddresses (addresses: readonly string[]): string[] {
  const out: string[] = []
  for (const address of addresses) {
    let parsed
    try {
      parsed = parseAddress(address)
    } catch {
      out.push(address)
      continue
    }
    if (!isUnspecifiedHost(parsed.host)) {
      out.push(address)
      continue
    }
    const ipv6 = parsed.host.includes(':')
    for (const list of Object.values(networkInterfaces())) {
      for (const info of list ?? []) {
        if (info.family === 'IPv4' || (ipv6 && info.family === 'IPv6' && info.scopeid === 0)) {
          out.push(formatAddress(parsed.scheme, info.address, parsed.port))
        }
      }
    }
  }
  return [...new Set(out)]
}
