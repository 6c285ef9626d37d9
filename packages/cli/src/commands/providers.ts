import { PeerIdentity, memoryStorage } from '@codio-chunk/core'
import { parseCidArgument } from '../cid-arg.js'
import { openNode } from '../node.js'
import { discoveriesFor } from '../discovery.js'
import { UsageError } from '../errors.js'
import { formatDuration } from '../units.js'
import type { CommandContext } from './context.js'

/** What `providers --json` prints for each provider found. */
export interface ProviderLine {
  event: 'provider'
  cid: string
  /** The provider's peer id when the discovery knows it (the DHT's signed records do), else null. */
  peerId: string | null
  addresses: string[]
}

/**
 * `codio-chunk providers <cid>`: asks the DHT (and any `--tracker`) who holds a content and prints
 * each provider as soon as it is found, until every lookup ends or `--timeout` passes. It runs a
 * short-lived node of its own that dials nobody and announces nothing.
 */
export async function providersCommand (cidText: string, ctx: CommandContext): Promise<void> {
  const { io, out, settings } = ctx
  const cid = parseCidArgument(cidText)
  const discovery = discoveriesFor(settings, io.env)
  if (discovery.length === 0) throw new UsageError('nothing to ask: the DHT is off (--no-dht) and no --tracker is given')
  const timeout = settings.values.timeout as number
  // A node of its own (a `serve` may run on this data dir with the data dir's identity and store).
  const node = await openNode(settings, io, { discovery, identity: PeerIdentity.generate(), storage: memoryStorage() })
  const started = performance.now()
  let found = 0
  try {
    const signal = AbortSignal.any([io.signal, AbortSignal.timeout(timeout)])
    for await (const record of node.findProviders(cid, { signal })) {
      found++
      const line: ProviderLine = { event: 'provider', cid: cid.toString(), peerId: record.peerId ?? null, addresses: [...record.addresses] }
      out.data(line)
      out.result(`${record.peerId ?? '(peer id unknown)'}  ${record.addresses.join(' ')}`)
    }
  } finally {
    await node.stop()
  }
  const seconds = (performance.now() - started) / 1000
  out.data({ event: 'done', cid: cid.toString(), providers: found, seconds })
  out.note(`found ${found} provider${found === 1 ? '' : 's'} of ${cid.toString()} in ${formatDuration(seconds * 1000)}`)
}
