import type { ChunkDistributor } from '@codio-chunk/core'
import { createGateway } from '@codio-chunk/gateway'
import type { Gateway } from '@codio-chunk/gateway'
import { dialableAddresses } from '../addresses.js'
import { lockDataDir } from '../data-dir.js'
import { openNode } from '../node.js'
import { dhtOf, discoveriesFor } from '../discovery.js'
import { statusLines } from '../ui/progress.js'
import { formatBytes } from '../units.js'
import { newControlToken, removeControlFile, writeControlFile } from '../control/control-file.js'
import { startControlServer } from '../control/control-server.js'
import { CommandError } from '../errors.js'
import type { Output } from '../output.js'
import type { CommandContext } from './context.js'

/** Where `serve` listens when neither `--listen` nor the config file says. */
export const DEFAULT_SERVE_LISTEN = ['tcp://0.0.0.0:4001']

/** Resolves when the signal aborts. */
export async function untilAborted (signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
}

/** What `serve` runs besides the node, as {@link announceNode} reports it. */
export interface ServeExtras {
  /** The gateway's URL (`--http`). */
  http?: string
  /** The origins the node falls back to (`--origin`). */
  origins?: readonly string[]
}

/** Prints a node's peer id and addresses (the first thing `serve` and `get --seed` print). */
export function announceNode (node: ChunkDistributor, out: Output, contents: number, extras: ServeExtras = {}): void {
  const reachable = dialableAddresses(node.addresses)
  const dht = dhtOf(node)
  const discovery = node.discoveries.map(d => d.name)
  out.data({ event: 'listening', peerId: node.peerId, addresses: node.addresses, reachable, contents, dht: dht?.dhtAddress ?? null, discovery, http: extras.http ?? null, origins: extras.origins ?? [] })
  out.result(`peer id ${node.peerId}`)
  for (const address of node.addresses) out.result(`listening on ${address}`)
  if (extras.http !== undefined) out.result(`HTTP gateway on ${extras.http}/ipfs/<cid> (trustless: ?format=raw|car; routing: /routing/v1/providers/<cid>)`)
  if (extras.origins !== undefined && extras.origins.length > 0) out.result(`falling back to ${extras.origins.join(', ')} when no peer delivers`)
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

/** `host:port` (IPv6 in brackets) as the host and port to listen on. */
function hostAndPort (endpoint: string): { host: string, port: number } {
  const at = endpoint.lastIndexOf(':')
  return { host: endpoint.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(endpoint.slice(at + 1)) }
}

/** Starts the gateway on the node (`--http host:port`); a port in use is a clear CommandError. */
async function startGateway (node: ChunkDistributor, endpoint: string, signal: AbortSignal): Promise<Gateway> {
  const gateway = createGateway(node)
  const { host, port } = hostAndPort(endpoint)
  try {
    await gateway.listen(host, port, { signal })
  } catch (err) {
    await gateway.close()
    if (signal.aborted) throw err
    const cause = (err as Error).cause as NodeJS.ErrnoException | undefined
    const why = cause?.code === 'EADDRINUSE' ? 'the port is in use; choose another port' : cause?.code === 'EADDRNOTAVAIL' ? 'no interface of this machine has that address' : cause?.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : (cause ?? err as Error).message
    throw new CommandError(`--http ${endpoint}: cannot listen: ${why}`, { cause: err })
  }
  return gateway
}

/**
 * `codio-chunk serve`: runs a node that serves everything in the data dir's store until SIGINT or
 * SIGTERM, then stops cleanly (the store's journals are flushed and closed). It announces every
 * complete content through the DHT (and `--tracker`s), and again before the announcements expire.
 * With `--http` it also serves the store over HTTP (see `@codio-chunk/gateway`). While it runs,
 * other commands on its data dir (`get`, `cat`, `add`, `rm`) go through it: it takes their
 * requests on a loopback control endpoint recorded in the data dir's `control.json` (mode 0600,
 * with a random token every request must carry).
 */
export async function serveCommand (ctx: CommandContext): Promise<void> {
  const { io, out, settings } = ctx
  const lock = await lockDataDir(settings.dataDir, 'serve')
  try {
    const listen = (settings.values.listen as string[] | undefined) ?? DEFAULT_SERVE_LISTEN
    const origins = (settings.values.origin as string[] | undefined) ?? []
    const node = await openNode(settings, io, { listen, discovery: discoveriesFor(settings, io.env), origins })
    let contents = 0
    let chunksServed = 0
    let bytesServed = 0
    node.events.on('download:complete', () => { contents++ })
    node.events.on('chunk:served', ({ bytes }) => {
      chunksServed++
      bytesServed += bytes
    })
    let gateway: Gateway | undefined
    const token = newControlToken()
    const control = await startControlServer({ node, token, spoolDir: settings.dataDir, verifier: (settings.values.verifier as string | undefined) ?? 'sha256' }).catch(async (err: Error) => {
      await node.stop()
      throw new CommandError(`cannot start the local control endpoint: ${err.message}`, { cause: err })
    })
    let announced = false
    try {
      await writeControlFile(settings.dataDir, { pid: process.pid, url: control.url, token })
      const http = settings.values.http as string | undefined
      if (http !== undefined) gateway = await startGateway(node, http, io.signal)
      contents = (await node.listContent({ signal: io.signal })).length
      announceNode(node, out, contents, { http: gateway?.address?.url, origins })
      announced = true
      await showStatusUntilAborted(node, out, io.signal, () => contents)
    } finally {
      await removeControlFile(settings.dataDir, token).catch(() => {})
      await control.close()
      await gateway?.close()
      await node.stop()
      if (announced) {
        const origin = node.originStats()
        out.note(`stopped after serving ${chunksServed} chunks (${formatBytes(bytesServed)})`)
        out.data({ event: 'stopped', chunksServed, bytesServed, originBytes: origin.originBytes, offload: origin.offload })
      }
    }
  } finally {
    await lock.release()
  }
}
