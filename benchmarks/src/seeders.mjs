// Child process of the throughput benchmark: starts N seeders of one random content on loopback,
// prints `{ cid, addresses }` as one JSON line, then serves until told to stop (a line on stdin),
// reporting the CPU time it used.
import { randomFillSync } from 'node:crypto'
import { ChunkConfig, ChunkDistributor, memoryStorage } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'

const [count, size, chunkSize] = process.argv.slice(2).map(Number)
const content = randomFillSync(new Uint8Array(size))
const config = ChunkConfig.builder().chunkSize(chunkSize).build()
const seeders = []
let cid
for (let i = 0; i < count; i++) {
  const node = await ChunkDistributor.create(config, { transports: [tcpTransport()], verifier: sha256Verifier(), storage: memoryStorage(), listen: ['tcp://127.0.0.1:0'] })
  cid = await node.storeContent(content)
  seeders.push(node)
}
const cpuStart = process.cpuUsage()
process.stdout.write(JSON.stringify({ cid: cid.toString(), addresses: seeders.flatMap(s => s.addresses) }) + '\n')
process.stdin.once('data', async () => {
  const cpu = process.cpuUsage(cpuStart)
  await Promise.all(seeders.map(async s => { await s.stop() }))
  process.stdout.write(JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n')
  process.exit(0)
})
