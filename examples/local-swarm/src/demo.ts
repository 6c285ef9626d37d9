/**
 * A local swarm on loopback: one seeder publishes a generated file and several peers fetch it at
 * the same time, each told only the seeder's address. Peers find each other through peer exchange,
 * fetch rarest chunks first and trade chunks among themselves. At the end every copy is checked
 * against the original and a summary shows who served whom.
 *
 * Usage: node dist/demo.js [--peers N] [--size MiB] [--chunk KiB]
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { ChunkConfig, ChunkDistributor, memoryStorage } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { rarestFirst } from '@codio-chunk/strategy-rarest-first'

const USAGE = 'usage: demo [--peers 1..32] [--size MiB] [--chunk KiB>=1]\n'

function options (): { peers: string, size: string, chunk: string } {
  try {
    return parseArgs({
      args: process.argv.slice(2).filter(a => a !== '--'),
      options: {
        peers: { type: 'string', default: '4' },
        size: { type: 'string', default: '64' },
        chunk: { type: 'string', default: '256' }
      }
    }).values as { peers: string, size: string, chunk: string }
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`)
    process.exit(2)
  }
}

const values = options()
const peerCount = Number(values.peers)
const size = Number(values.size) * 1024 * 1024
const chunkSize = Number(values.chunk) * 1024
if (!Number.isInteger(peerCount) || peerCount < 1 || peerCount > 32 || !(size > 0) || !(chunkSize >= 1024)) {
  process.stderr.write(USAGE)
  process.exit(2)
}

const MiB = 1024 * 1024
const tty = process.stdout.isTTY === true

async function startNode (): Promise<ChunkDistributor> {
  const config = ChunkConfig.builder().strategy(rarestFirst()).chunkSize(chunkSize).build()
  return await ChunkDistributor.create(config, {
    transports: [tcpTransport()],
    verifier: sha256Verifier(),
    storage: memoryStorage(),
    listen: ['tcp://127.0.0.1:0']
  })
}

function bar (fraction: number, width = 24): string {
  const full = Math.round(fraction * width)
  return '█'.repeat(full) + '░'.repeat(width - full)
}

async function main (): Promise<void> {
  const content = new Uint8Array(randomBytes(size))
  const seeder = await startNode()
  const cid = await seeder.storeContent(content)
  console.log(`seeder ${seeder.peerId.slice(0, 16)}… at ${seeder.addresses[0]}`)
  console.log(`published ${(size / MiB).toFixed(1)} MiB as ${cid.toString()} (${Math.ceil(size / chunkSize)} chunks of ${chunkSize / 1024} KiB)`)
  const peers = await Promise.all(Array.from({ length: peerCount }, startNode))
  console.log(`${peerCount} peers fetching at once, each told only the seeder's address\n`)

  const started = performance.now()
  const finished = new Map<ChunkDistributor, number>()
  const downloads = peers.map(async (peer) => {
    const bytes = await peer.downloadContent(cid, seeder.addresses)
    finished.set(peer, performance.now() - started)
    return bytes
  })

  let drawn = 0
  const draw = (): void => {
    const lines = peers.map((peer, i) => {
      const p = peer.downloadProgress(cid)
      const done = finished.has(peer)
      const fraction = done ? 1 : p?.progress ?? 0
      const rate = done ? '' : `${((p?.downloadRate ?? 0) / MiB).toFixed(1).padStart(6)} MiB/s`
      const eta = done ? `done in ${(finished.get(peer)! / 1000).toFixed(2)} s` : p?.eta !== undefined ? `eta ${(p.eta / 1000).toFixed(1)} s` : ''
      const peers = done ? 'seeding ' : `${String(p?.peers ?? 0).padStart(2)} peers`
      return `peer ${i + 1} ${bar(fraction)} ${(fraction * 100).toFixed(1).padStart(5)}% ${rate} ${peers} ${eta}`
    })
    if (tty && drawn > 0) process.stdout.write(`\x1b[${drawn}A`)
    for (const line of lines) process.stdout.write(tty ? `\x1b[2K${line}\n` : `${line}\n`)
    drawn = lines.length
    if (!tty) process.stdout.write('\n')
  }
  const timer = setInterval(draw, tty ? 100 : 1000)
  const copies = await Promise.all(downloads)
  clearInterval(timer)
  draw()
  const seconds = (performance.now() - started) / 1000

  const identical = copies.every(copy => copy.length === content.length && Buffer.compare(copy, content) === 0)
  const fromSeeder = seeder.peerStats().reduce((sum, s) => sum + s.bytesSent, 0)
  const betweenPeers = peers.reduce((sum, peer) => sum + peer.peerStats().filter(s => s.peerId !== seeder.peerId).reduce((a, s) => a + s.bytesSent, 0), 0)
  const total = size * peerCount
  const sent = fromSeeder + betweenPeers
  console.log('')
  console.log(`all ${peerCount} copies byte-identical to the original: ${identical ? 'yes' : 'NO'}`)
  console.log(`time ${seconds.toFixed(2)} s, ${(total / MiB / seconds).toFixed(1)} MiB/s delivered in total (${(size / MiB / seconds).toFixed(1)} MiB/s per peer)`)
  console.log(`bytes sent: ${(fromSeeder / MiB).toFixed(1)} MiB by the seeder (${(100 * fromSeeder / sent).toFixed(0)}%), ${(betweenPeers / MiB).toFixed(1)} MiB by peers to each other (${(100 * betweenPeers / sent).toFixed(0)}%)`)
  console.log(`the seeder uploaded ${(fromSeeder / size).toFixed(2)} copies for ${peerCount} peers; ${((sent - total) / MiB).toFixed(1)} MiB were manifests and endgame duplicates`)
  await Promise.all([seeder.stop(), ...peers.map(async p => { await p.stop() })])
  if (!identical) process.exitCode = 1
}

main().catch((err: Error) => {
  process.stderr.write(`demo failed: ${err.message}\n`)
  process.exitCode = 1
})
