import type { ContentId, Discovery, DiscoveryFactory, ProviderRecord } from '@codio-chunk/core'

/**
 * A shared in-process directory the way a tracker keeps one: content key → peer id → addresses.
 * Nodes given `directoryDiscovery(directory)` announce into it and look providers up in it, so
 * engine behaviour around discovery can be tested without a network; the real DHT and tracker
 * plugins have their own tests against real servers.
 */
export class Directory {
  readonly records = new Map<string, Map<string, readonly string[]>>()
  readonly provides: string[] = []
  lookups = 0

  static key (cid: ContentId): string {
    return Buffer.from(cid.cid.multihash.bytes).toString('hex')
  }
}

export interface DirectoryOptions {
  /** Records yielded before the real ones (bogus, hostile). */
  before?: (cid: ContentId) => Iterable<unknown>
  /** Keep the lookup open after the last record instead of ending it (until the signal aborts). */
  hang?: boolean
  reprovideInterval?: number
}

export function directoryDiscovery (directory: Directory, options: DirectoryOptions = {}): DiscoveryFactory {
  return (components): Discovery => ({
    name: 'directory',
    reprovideInterval: options.reprovideInterval,
    async start () {},
    async stop () {},
    async provide (cid) {
      const key = Directory.key(cid)
      directory.provides.push(`${components.identity.peerId} ${cid.toString()}`)
      let peers = directory.records.get(key)
      if (peers === undefined) directory.records.set(key, peers = new Map())
      peers.set(components.identity.peerId, [...(components.addresses?.() ?? [])])
    },
    async * findProviders (cid, { signal } = {}) {
      directory.lookups++
      for (const record of options.before?.(cid) ?? []) yield record as ProviderRecord
      for (const [peerId, addresses] of directory.records.get(Directory.key(cid)) ?? []) yield { peerId, addresses }
      if (options.hang === true && signal !== undefined) {
        await new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
      }
    }
  })
}
