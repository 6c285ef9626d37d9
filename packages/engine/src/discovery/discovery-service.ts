import type { AbortOptions, ContentId, Discovery, Logger, ProviderRecord } from '@codio-chunk/interface'

/** Most provider records one lookup takes from all discoveries together; the rest are ignored. */
export const MAX_RECORDS_PER_LOOKUP = 256
/** Most addresses kept from one record. */
export const MAX_ADDRESSES_PER_RECORD = 16
/** The longest address string taken from a record. */
const MAX_ADDRESS_LENGTH = 1024
/** Records buffered from discoveries ahead of the consumer; a discovery waits when it is full. */
const LOOKUP_BUFFER = 32
/** How long a discovery's announcement lasts when it does not say (its `reprovideInterval`). */
export const DEFAULT_REPROVIDE_INTERVAL = 15 * 60_000

/** What a {@link DiscoveryService} needs. */
export interface DiscoveryServiceInit {
  discoveries: Discovery[]
  /** This node's peer id: records of it are dropped. */
  localPeerId: string
  /** This node's listen addresses: records pointing here are dropped. */
  localAddresses: () => readonly string[]
  log: Logger
}

/**
 * Every discovery a node runs, as one: starts and stops them together, announces a content to all
 * of them, and merges their lookups into one stream of records, each as soon as any discovery
 * finds it. What a discovery returns is checked for shape and bounded (records per lookup,
 * addresses per record, address length); records of this node and duplicates are dropped; a
 * discovery that throws is logged and the others go on.
 *
 * @example
 * ```ts
 * const service = new DiscoveryService({ discoveries: [dht], localPeerId, localAddresses: () => [], log })
 * await service.start()
 * for await (const record of service.findProviders(cid, { signal })) console.log(record.addresses)
 * ```
 */
export class DiscoveryService {
  private readonly init: DiscoveryServiceInit
  private started = false

  constructor (init: DiscoveryServiceInit) {
    this.init = init
  }

  /** True when at least one discovery is configured. */
  get enabled (): boolean {
    return this.init.discoveries.length > 0
  }

  /** The discoveries, for stats and addresses (e.g. the DHT's own). */
  get discoveries (): readonly Discovery[] {
    return this.init.discoveries
  }

  /** The shortest announcement lifetime among the discoveries. */
  get reprovideInterval (): number {
    const intervals = this.init.discoveries.map(d => d.reprovideInterval ?? DEFAULT_REPROVIDE_INTERVAL)
    return Math.max(1000, Math.min(DEFAULT_REPROVIDE_INTERVAL * 96, ...intervals))
  }

  /** Starts every discovery; if one cannot start, those started are stopped and the error is thrown. */
  async start (options: AbortOptions = {}): Promise<void> {
    const started: Discovery[] = []
    try {
      for (const discovery of this.init.discoveries) {
        await discovery.start(options)
        started.push(discovery)
      }
    } catch (err) {
      await Promise.allSettled(started.map(async d => { await d.stop() }))
      throw err
    }
    this.started = true
  }

  /** Stops every discovery (errors are logged). */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    const results = await Promise.allSettled(this.init.discoveries.map(async d => { await d.stop() }))
    results.forEach((result, i) => {
      if (result.status === 'rejected') this.init.log('discovery %s failed to stop: %s', this.init.discoveries[i].name, errorText(result.reason))
    })
  }

  /** Announces `cid` to every discovery; resolves with how many succeeded (failures are logged). */
  async provide (cid: ContentId, options: AbortOptions = {}): Promise<number> {
    if (!this.started) return 0
    const results = await Promise.allSettled(this.init.discoveries.map(async d => { await d.provide(cid, options) }))
    let ok = 0
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') ok++
      else this.init.log('discovery %s could not announce %s: %s', this.init.discoveries[i].name, cid.toString(), errorText(result.reason))
    })
    return ok
  }

  /**
   * The providers every discovery finds for `cid`, merged, each as soon as it is found; ends when
   * every lookup ended, after {@link MAX_RECORDS_PER_LOOKUP} records, or when `signal` aborts.
   */
  async * findProviders (cid: ContentId, options: AbortOptions = {}): AsyncGenerator<ProviderRecord> {
    if (!this.started || options.signal?.aborted === true) return
    const controller = new AbortController()
    const signal = options.signal === undefined ? controller.signal : AbortSignal.any([controller.signal, options.signal])
    const queue: ProviderRecord[] = []
    let wake: (() => void) | undefined
    let space: (() => void) | undefined
    let running = this.init.discoveries.length
    const notify = (): void => { const w = wake; wake = undefined; w?.() }
    const seen = new Set<string>()
    const pump = async (discovery: Discovery): Promise<void> => {
      let examined = 0
      try {
        for await (const raw of discovery.findProviders(cid, { signal })) {
          if (signal.aborted) break
          // Duplicates and nonsense do not count as taken: bound what is looked at too.
          if (++examined > 4 * MAX_RECORDS_PER_LOOKUP) {
            this.init.log('discovery %s returned more than %d records for %s; the rest are ignored', discovery.name, 4 * MAX_RECORDS_PER_LOOKUP, cid.toString())
            break
          }
          const record = this.check(raw, discovery.name, seen)
          if (record === undefined) continue
          while (queue.length >= LOOKUP_BUFFER && !signal.aborted) await new Promise<void>(resolve => { space = resolve })
          queue.push(record)
          notify()
        }
      } catch (err) {
        if (!signal.aborted) this.init.log('discovery %s lookup of %s failed: %s', discovery.name, cid.toString(), errorText(err))
      } finally {
        running--
        notify()
      }
    }
    const onAbort = (): void => { notify(); const s = space; space = undefined; s?.() }
    signal.addEventListener('abort', onAbort, { once: true })
    for (const discovery of this.init.discoveries) void pump(discovery)
    let taken = 0
    try {
      while (taken < MAX_RECORDS_PER_LOOKUP && !signal.aborted) {
        const record = queue.shift()
        if (record !== undefined) {
          const s = space; space = undefined; s?.()
          taken++
          yield record
          continue
        }
        if (running === 0) break
        await new Promise<void>(resolve => { wake = resolve })
      }
    } finally {
      signal.removeEventListener('abort', onAbort)
      controller.abort()
      const s = space; space = undefined; s?.()
    }
  }

  /** A bounded copy of a record, or undefined for one of this node, a duplicate, or nonsense. */
  private check (raw: unknown, source: string, seen: Set<string>): ProviderRecord | undefined {
    const record = raw as Partial<ProviderRecord> | null
    if (record === null || typeof record !== 'object' || !Array.isArray(record.addresses)) {
      this.init.log('discovery %s returned a record that is not { peerId?, addresses }; ignored', source)
      return undefined
    }
    const peerId = typeof record.peerId === 'string' && record.peerId.length <= 256 ? record.peerId : undefined
    if (peerId === this.init.localPeerId) return undefined
    const own = new Set(this.init.localAddresses())
    const addresses: string[] = []
    for (const address of record.addresses.slice(0, MAX_ADDRESSES_PER_RECORD)) {
      if (typeof address !== 'string' || address.length > MAX_ADDRESS_LENGTH || own.has(address)) continue
      const key = `${peerId ?? ''} ${address}`
      if (seen.has(key)) continue
      seen.add(key)
      addresses.push(address)
    }
    if (addresses.length === 0) return undefined
    return peerId === undefined ? { addresses } : { peerId, addresses }
  }
}

function errorText (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
