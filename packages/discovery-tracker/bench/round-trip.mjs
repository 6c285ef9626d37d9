// Round-trip times of announce (provide) and lookup (findProviders until it ends) against a real
// bittorrent-tracker Server on loopback, over HTTP and UDP. Run after a build:
//   node packages/discovery-tracker/bench/round-trip.mjs [rounds]
import { createHash } from 'node:crypto'
import { ContentId } from '@codio-chunk/interface'
import { createComponents } from '@codio-chunk/protocol'
import { Server } from 'bittorrent-tracker'
import { trackerDiscovery } from '../dist/index.js'

const rounds = Number(process.argv[2] ?? 200)
const server = new Server({ http: true, udp: true, ws: false, stats: false })
server.on('warning', () => {})
await new Promise((resolve) => server.listen({ http: 0, udp: 0 }, { http: '127.0.0.1', udp: '127.0.0.1', udp6: '::1' }, resolve))
const urls = { http: `http://127.0.0.1:${server.http.address().port}/announce`, udp: `udp://127.0.0.1:${server.udp4.address().port}` }

const cid = (seed) => ContentId.fromBytes(Uint8Array.of(0x01, 0x55, 0x12, 0x20, ...createHash('sha256').update(seed).digest()))
const quantiles = (ms) => {
  const sorted = [...ms].sort((a, b) => a - b)
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2)
  return `median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${sorted[sorted.length - 1].toFixed(2)} ms`
}

for (const [protocol, url] of Object.entries(urls)) {
  const seeder = trackerDiscovery({ announce: [url] })(createComponents({ addresses: () => ['tcp://127.0.0.1:46001'] }))
  const finder = trackerDiscovery({ announce: [url] })(createComponents({ addresses: () => ['tcp://127.0.0.1:46002'] }))
  const content = cid(protocol)
  await seeder.provide(content) // joins (event=started); UDP: also the connect exchange
  const announces = []
  const lookups = []
  for (let i = 0; i < rounds; i++) {
    let start = performance.now()
    await seeder.provide(content)
    announces.push(performance.now() - start)
    start = performance.now()
    let found = 0
    for await (const _record of finder.findProviders(content)) found++
    lookups.push(performance.now() - start)
    if (found !== 1) throw new Error(`expected 1 provider, found ${found}`)
  }
  console.log(`${protocol}: provide (re-announce) ${quantiles(announces)}; findProviders to its end ${quantiles(lookups)} (${rounds} rounds)`)
  await Promise.all([seeder.stop(), finder.stop()])
}
server.close()
