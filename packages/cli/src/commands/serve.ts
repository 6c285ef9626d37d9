import type { ChunkDistributor } from '@codio-chunk/core'
import { dialableAddresses } from '../addresses.js'
import { lockDataDir } from '../data-dir.js'
import { openNode } from '../node.js'
import { dhtOf, discoveriesFor } from '../discovery.js'
import { statusLines } from '../ui/progress.js'
import { formatBytes } from '../units.js'
import type { Output } from '../output.js'
import type { CommandContext } from './context.js'

/** Where `serve` listens when neither `--listen` nor the config file says. */
export const DEFAULT_SERVE_LISTEN = ['tcp://0.0.0.0:4001']

/** Resolves when the signal aborts. */
export async function untilAborted (signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
}

/** Prints a node's peer id and addresses (the first thing `serve` and `get --seed` print). */
export function announceNode (node: ChunkDistributor, out: Output, contents: number): void {
  const reachable = dialableAddresses(node.addresses)
  const dht = dhtOf(node)
  const discovery = node.discoveries.map(d => d.name)
  out.data({ event: 'listening', peerId: node.peerId, addresses: node.addresses, reachable, contents, dht: dht?.dhtAddress ?? null, discovery })
  out.result(`peer id ${node.peerId}`)
  for (const address of node.addresses) out.result(`listening on ${address}`)
  if (reachable.join() !== node.addresses.join()) out.result(`reachable as ${reachable.join(', ')}`)
  if (dht !== undefined) out.result(`DHT on udp ${dht.dhtAddress ?? '?'} (${dht.nodeCount} nodes known)`)
  if (discovery.length > 0) out.result(`announcing what it holds through ${discovery.join(' and ')}`)
  out.result(`serving ${contents} content${contents === 1 ? '' : 's'}; press Ctrl-C to stop`)
}

/**
 * Shows the node's status (peers, rates, per-peer choke state) until the signal aborts, redrawn
 * every second on a terminal.
 */
export async function showStatusUntilAborted (node: ChunkDistributor, out: Output, signal: AbortSignal, contents: () => number): Promise<void> {
  const draw = (): void => { out.live.render(statusLines(node.peerStats(), contents())) }
  const timer = out.live.enabled ? setInterval(draw, 1000) : undefined
  try {
    draw()
    await untilAborted(signal)
  } finally {
    if (timer !== undefined) clearInterval(timer)
    out.live.clear()
  }
}

/**
 * `codio-chunk serve`: runs a node that serves everything in the data dir's store until SIGINT or
 * SIGTERM, then stops cleanly (the store's journals are flushed and closed). It announces every
 * complete content through the DHT (and `--tracker`s), and again before the announcements expire.
 */
export async function serveCommand (ctx: CommandContext): Promise<void> {
  const { io, out, settings } = ctx
  const lock = await lockDataDir(settings.dataDir, 'serve')
  try {
    const listen = (settings.values.listen as string[] | undefined) ?? DEFAULT_SERVE_LISTEN
    const node = await openNode(settings, io, { listen, discovery: discoveriesFor(settings, io.env) })
    let contents = 0
    let chunksServed = 0
    let bytesServed = 0
    node.events.on('download:complete', () => { contents++ })
    node.events.on('chunk:served', ({ bytes }) => {
      chunksServed++
      bytesServed += bytes
    })
    try {
      contents = (await node.listContent({ signal: io.signal })).length
      announceNode(node, out, contents)
      await showStatusUntilAborted(node, out, io.signal, () => contents)
    } finally {
      await node.stop()
      out.note(`stopped after serving ${chunksServed} chunks (${formatBytes(bytesServed)})`)
      out.data({ event: 'stopped', chunksServed, bytesServed })
    }
  } finally {
    await lock.release()
  }
}
