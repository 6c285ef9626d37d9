import { parseAddress } from '@codio-chunk/protocol'

/** The host (IP address or name) of a peer address such as `tcp://10.0.0.7:4001`, or the address itself. */
export function hostOf (address: string): string {
  try {
    return parseAddress(address).host
  } catch {
    return address
  }
}

/**
 * Inbound connections per host: how many finished their handshake (open) and how many are still
 * in it (pending). The peer manager admits a new inbound connection by these counts.
 *
 * @example
 * ```ts
 * const census = new HostCensus()
 * census.add('10.0.0.7', 'pending')
 * census.move('10.0.0.7', 'pending', 'open')
 * census.count('10.0.0.7')   // { open: 1, pending: 0 }
 * ```
 */
export class HostCensus {
  private readonly hosts = new Map<string, { open: number, pending: number }>()

  /** The counts of one host. */
  count (host: string): { open: number, pending: number } {
    return this.hosts.get(host) ?? { open: 0, pending: 0 }
  }

  add (host: string, kind: 'open' | 'pending'): void {
    const entry = this.hosts.get(host) ?? { open: 0, pending: 0 }
    entry[kind]++
    this.hosts.set(host, entry)
  }

  remove (host: string, kind: 'open' | 'pending'): void {
    const entry = this.hosts.get(host)
    if (entry === undefined || entry[kind] === 0) return
    entry[kind]--
    if (entry.open === 0 && entry.pending === 0) this.hosts.delete(host)
  }

  /** The host with the most connections in their handshake (undefined if none). */
  busiestPending (): string | undefined {
    let best: string | undefined
    let most = 0
    for (const [host, { pending }] of this.hosts) {
      if (pending > most) {
        most = pending
        best = host
      }
    }
    return best
  }
}
