import { networkInterfaces } from 'node:os'
import { canonicalIp, endpointKey, isUnspecifiedIp } from './peers.js'

/**
 * The `ip:port` keys under which a tracker may list this node itself: every address of this
 * machine's interfaces and every address a tracker said it sees this node at (BEP 24), with the
 * announced port; and each literal TCP listen address as it is. A lookup never yields these.
 */
export function ownEndpoints (announcedPort: number, listen: ReadonlyArray<{ host: string, port: number }>, externalIps: Iterable<string>): Set<string> {
  const keys = new Set<string>()
  const hosts = new Set<string>(externalIps)
  for (const list of Object.values(interfaces())) {
    for (const info of list ?? []) {
      const ip = canonicalIp(info.address)
      if (ip !== undefined) hosts.add(ip)
    }
  }
  for (const { host, port } of listen) {
    const ip = canonicalIp(host)
    if (ip === undefined || isUnspecifiedIp(ip)) continue
    hosts.add(ip)
    keys.add(endpointKey(ip, port))
  }
  for (const host of hosts) keys.add(endpointKey(host, announcedPort))
  return keys
}

/** This machine's interfaces; none where the system does not say (some sandboxes refuse). */
function interfaces (): ReturnType<typeof networkInterfaces> {
  try {
    return networkInterfaces()
  } catch {
    return {}
  }
}
