import { networkInterfaces } from 'node:os'
import type { NetworkInterfaceInfo } from 'node:os'
import { isUnspecifiedHost, parseAddress, formatAddress } from '@codio-chunk/core'

/** This machine's interface addresses; none where the system will not tell (some sandboxes). */
function interfaceAddresses (): NetworkInterfaceInfo[] {
  try {
    return Object.values(networkInterfaces()).flatMap(list => list ?? [])
  } catch {
    return []
  }
}

/**
 * Addresses other machines can dial: a listen address on 0.0.0.0 or [::] becomes one address per
 * network interface of this machine (IPv4 for 0.0.0.0, both families for [::]; IPv6 link-local
 * addresses, which need a zone, are left out). Other addresses are kept as they are; duplicates
 * are dropped. When the machine names no interface, loopback stands in.
 *
 * @example
 * ```ts
 * dialableAddresses(['tcp://0.0.0.0:4001']) // ['tcp://127.0.0.1:4001', 'tcp://10.0.0.5:4001']
 * ```
 */
export function dialableAddresses (addresses: readonly string[]): string[] {
  const out: string[] = []
  let interfaces: NetworkInterfaceInfo[] | undefined
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
    interfaces ??= interfaceAddresses()
    const hosts = interfaces
      .filter(info => info.family === 'IPv4' || (ipv6 && info.family === 'IPv6' && info.scopeid === 0))
      .map(info => info.address)
    if (hosts.length === 0) hosts.push(...(ipv6 ? ['127.0.0.1', '::1'] : ['127.0.0.1']))
    for (const host of hosts) out.push(formatAddress(parsed.scheme, host, parsed.port))
  }
  return [...new Set(out)]
}
