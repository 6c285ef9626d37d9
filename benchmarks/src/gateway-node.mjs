// Child process: one codio-chunk node with an HTTP gateway (@codio-chunk/gateway) on loopback, so
// that its memory and CPU time are its own. Argument: JSON `{ dir, providers?, origins?,
// originDelay?, listen?, transport? }`: storage-fs in `dir` (a fresh folder, or one that already
// holds contents: the node is then an origin), `providers` every gateway fetch asks, `origins`
// the node falls back to (`originDelay` ms before them), `listen` true to accept peers.
// Prints `{ url, addresses, rssKiB, maxRssKiB }`, then answers stdin lines: `{ "op": "stats" }` with
// `{ rssKiB, maxRssKiB, cpuSeconds, egressBytes, requests, rangeRequests, origin }` (`egressBytes`:
// bytes its HTTP sockets wrote; `origin`: the node's originStats()) and `{ "op": "connect", "addresses": […] }`
// (dials them) with `{ connected }`, and `{ "op": "stop" }` with the same as stats, then exits.
import { createInterface } from 'node:readline'
import { ChunkConfig, ChunkDistributor } from '@codio-chunk/core'
import { createGateway } from '@codio-chunk/gateway'
import { fsStorage } from '@codio-chunk/storage-fs'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { listenAddress, transportInit } from './transports.mjs'
import { cpuSeconds } from './stats.mjs'

const print = (value) => process.stdout.write(JSON.stringify(value) + '\n')

try {
  const { dir, providers = [], origins = [], originDelay, listen = true, transport = 'tcp' } = JSON.parse(process.argv[2])
  const node = await ChunkDistributor.create(ChunkConfig.default(), {
    ...(await transportInit(transport)),
    verifier: sha256Verifier(),
    storage: fsStorage({ dir, fsync: 'never' }),
    listen: listen ? [listenAddress(transport)] : [],
    origins,
    ...(originDelay !== undefined ? { originOptions: { delay: originDelay } } : {})
  })
  let requests = 0
  let rangeRequests = 0
  const gateway = createGateway(node, {
    providers,
    onResponse: (entry) => {
      requests++
      if (entry.range !== undefined) rangeRequests++
    }
  })
  // What the HTTP sockets wrote, headers included: the closed ones' total plus the open ones'.
  let closedEgress = 0
  const open = new Set()
  gateway.server.on('connection', (socket) => {
    open.add(socket)
    socket.once('close', () => {
      open.delete(socket)
      closedEgress += socket.bytesWritten
    })
  })
  const { url } = await gateway.listen('127.0.0.1', 0)
  const started = process.cpuUsage()
  const memory = () => ({ rssKiB: process.memoryUsage.rss() / 1024, maxRssKiB: process.resourceUsage().maxRSS })
  const stats = () => {
    let egressBytes = closedEgress
    for (const socket of open) egressBytes += socket.bytesWritten
    return { ...memory(), cpuSeconds: cpuSeconds(started), egressBytes, requests, rangeRequests, origin: node.originStats() }
  }
  print({ url, addresses: node.addresses, ...memory() })
  for await (const line of createInterface({ input: process.stdin })) {
    const { op, addresses } = JSON.parse(line)
    if (op === 'stats') {
      print(stats())
    } else if (op === 'connect') {
      const dialled = await Promise.allSettled(addresses.map(async (address) => await node.connect(address, { signal: AbortSignal.timeout(10_000) })))
      const failed = dialled.filter(d => d.status === 'rejected')
      print(failed.length === 0 ? { connected: dialled.length } : { error: `could not connect: ${failed[0].reason?.message}` })
    } else if (op === 'stop') {
      const last = stats()
      await gateway.close()
      await node.stop()
      print(last)
      break
    }
  }
  process.exit(0)
} catch (err) {
  print({ error: `codio-chunk gateway node: ${err.message}` })
  process.exit(1)
}
