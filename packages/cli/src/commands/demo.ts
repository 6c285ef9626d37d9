import { randomFillSync } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PeerIdentity, createComponents } from '@codio-chunk/core'
import type { ChunkDistributor, ContentId, DiscoveryFactory, Storage } from '@codio-chunk/core'
import { dhtDiscovery } from '@codio-chunk/discovery-dht'
import type { DhtDiscovery } from '@codio-chunk/discovery-dht'
import { fsStorage } from '@codio-chunk/storage-fs'
import { CommandError, UsageError } from '../errors.js'
import { openNode, transportNames } from '../node.js'
import { bar, shortPeerId } from '../ui/progress.js'
import { LiveDisplay } from '../ui/live-display.js'
import { formatBytes, formatDuration, formatRate } from '../units.js'
import type { CommandContext } from './context.js'

/** What `demo` reports. */
export interface DemoSummary {
  cid: string
  size: number
  chunks: number
  peers: number
  identical: boolean
  seconds: number
  /** Bytes delivered to all peers per second. */
  rate: number
  /** Chunk bytes the seeder sent. */
  seederBytes: number
  /** Chunk bytes peers sent to each other. */
  peerBytes: number
}

async function writeRandomFile (path: string, size: number): Promise<void> {
  const handle = await open(path, 'w')
  try {
    const block = Buffer.allocUnsafe(Math.min(size, 4 * 1024 * 1024))
    for (let offset = 0; offset < size; offset += block.length) {
      const part = block.subarray(0, Math.min(block.length, size - offset))
      randomFillSync(part)
      await handle.write(part, 0, part.length, offset)
    }
  } finally {
    await handle.close()
  }
}

/** True when the stored content is byte for byte the file at `path`. */
async function sameBytes (storage: Storage, cid: ContentId, path: string, size: number): Promise<boolean> {
  const original = await open(path, 'r')
  try {
    let offset = 0
    let scratch = Buffer.alloc(0)
    for await (const part of storage.readContent!(cid)) {
      if (scratch.length < part.length) scratch = Buffer.allocUnsafe(part.length)
      const { bytesRead } = await original.read(scratch, 0, part.length, offset)
      if (bytesRead !== part.length || !scratch.subarray(0, bytesRead).equals(part)) return false
      offset += part.length
    }
    return offset === size
  } finally {
    await original.close()
  }
}

/**
 * Starts the first node of a DHT on loopback, for `demo --discovery dht`: the demo's nodes join
 * through it and find each other there, as nodes on the public DHT do through its routers.
 */
async function localDht (): Promise<{ node: DhtDiscovery, discovery: () => DiscoveryFactory[] }> {
  const node = dhtDiscovery({ bootstrap: [], host: '127.0.0.1' })(createComponents())
  await node.start()
  const bootstrap = [node.dhtAddress as string]
  return { node, discovery: () => [dhtDiscovery({ bootstrap, host: '127.0.0.1' })] }
}

/**
 * `codio-chunk demo`: a local swarm on loopback. A seeder publishes a generated file; several peers,
 * told only the seeder's address (or, with `--discovery dht`, only the CID: they find the seeder
 * through a DHT on loopback), fetch it at the same time (rarest-first by default), find each other
 * and trade chunks. Every copy is compared byte for byte with the file, and a summary shows who
 * served whom. Everything lives in a temporary folder that is removed at the end.
 */
export async function demoCommand (ctx: CommandContext): Promise<void> {
  const { io, out, settings } = ctx
  const peerCount = settings.values.peers as number
  const size = settings.values.size as number
  if (size < 1) throw new UsageError('--size must be at least 1 byte')
  // Every node listens on loopback with each transport named by --transport (tcp by default).
  const listen = [...new Set(transportNames(settings))].map(name => `${name}://127.0.0.1:0`)
  const dir = await mkdtemp(join(tmpdir(), 'codio-chunk-demo-'))
  const nodes: ChunkDistributor[] = []
  const viaDht = settings.values.discovery === 'dht'
  let dht: Awaited<ReturnType<typeof localDht>> | undefined
  const discovery = (): DiscoveryFactory[] | undefined => dht?.discovery()
  try {
    if (viaDht) dht = await localDht()
    const file = join(dir, 'original.bin')
    await writeRandomFile(file, size)
    const seeder = await openNode(settings, io, { listen, identity: PeerIdentity.generate(), storage: fsStorage({ dir: join(dir, 'seeder'), fsync: 'never' }), discovery: discovery() })
    nodes.push(seeder)
    const cid = await seeder.importContent(() => createReadStream(file), { signal: io.signal })
    const chunkSize = seeder.config.chunkSize
    const chunks = Math.max(1, Math.ceil(size / chunkSize))
    out.result(`seeder ${shortPeerId(seeder.peerId)} listening on ${seeder.addresses.join(', ')}`)
    out.result(`published ${formatBytes(size)} of random bytes as ${cid.toString()} (${chunks} chunks of ${formatBytes(chunkSize)})`)
    if (dht !== undefined) {
      await seeder.announced()
      out.result(`announced it on a DHT on loopback (joined through ${dht.node.dhtAddress ?? '?'})`)
    }

    const peers: ChunkDistributor[] = []
    for (let i = 0; i < peerCount; i++) {
      const peer = await openNode(settings, io, { listen, identity: PeerIdentity.generate(), storage: fsStorage({ dir: join(dir, `peer-${i + 1}`), fsync: 'never' }), discovery: discovery() })
      nodes.push(peer)
      peers.push(peer)
    }
    const told = viaDht ? 'each told only the CID (they look the seeder up on the DHT)' : 'each told only the seeder\'s address'
    out.result(`${peerCount} peer${peerCount === 1 ? '' : 's'} fetching at once with ${String(settings.values.strategy)}, ${told}\n`)

    const started = performance.now()
    const finished = new Map<ChunkDistributor, number>()
    const downloads = peers.map(async (peer) => {
      await peer.download(cid, viaDht ? [] : seeder.addresses, { signal: io.signal })
      finished.set(peer, performance.now() - started)
    })

    const display = new LiveDisplay(io.stdout)
    const lines = (): string[] => peers.map((peer, i) => {
      const done = finished.get(peer)
      const p = peer.downloadProgress(cid)
      const fraction = done !== undefined ? 1 : p?.progress ?? 0
      const tail = done !== undefined
        ? `done in ${formatDuration(done)}, seeding`
        : `${formatRate(p?.downloadRate ?? 0).padStart(11)}  ${String(p?.peers ?? 0).padStart(2)} peers  ${p?.eta === undefined ? '' : `eta ${formatDuration(p.eta)}`}`
      return `peer ${String(i + 1).padStart(2)} ${bar(fraction)} ${(fraction * 100).toFixed(1).padStart(5)}%  ${tail}`
    })
    const draw = (): void => {
      if (out.json) return
      if (display.enabled) display.render(lines())
      else io.stdout.write(lines().join('\n') + '\n\n')
    }
    const timer = setInterval(draw, display.enabled ? 100 : 1000)
    try {
      await Promise.all(downloads)
    } finally {
      clearInterval(timer)
    }
    const seconds = (performance.now() - started) / 1000
    draw()
    display.keep()

    const copies = await Promise.all(peers.map(async peer => await sameBytes(peer.storage, cid, file, size)))
    const identical = copies.every(Boolean)
    const seederBytes = seeder.peerStats().reduce((sum, s) => sum + s.bytesSent, 0)
    const peerBytes = peers.reduce((sum, peer) => sum + peer.peerStats().filter(s => s.peerId !== seeder.peerId).reduce((a, s) => a + s.bytesSent, 0), 0)
    const sent = seederBytes + peerBytes
    const summary: DemoSummary = { cid: cid.toString(), size, chunks, peers: peerCount, identical, seconds, rate: (size * peerCount) / seconds, seederBytes, peerBytes }
    out.data(summary)
    if (display.enabled) out.result('')
    out.result(`all ${peerCount} copies byte-identical to the original: ${identical ? 'yes' : `NO (${copies.filter(c => !c).length} differ)`}`)
    out.result(`time ${formatDuration(seconds * 1000)}: ${formatRate(summary.rate)} delivered in total, ${formatRate(size / seconds)} per peer`)
    out.result(`bytes sent: ${formatBytes(seederBytes)} by the seeder (${Math.round((100 * seederBytes) / sent)}%), ${formatBytes(peerBytes)} by peers to each other (${Math.round((100 * peerBytes) / sent)}%)`)
    out.result(`the seeder uploaded ${(seederBytes / size).toFixed(2)} copies for ${peerCount} peers; the rest came from the peers themselves`)
    if (!identical) throw new CommandError('a copy differs from the original: this is a bug, please report it with the output above')
  } finally {
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    await dht?.node.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
