// Child process of the throughput benchmark: starts N seeders of one random content on loopback,
// prints `{ cid, addresses }` as one JSON line, then serves until told to stop (a line on stdin),
// reporting the CPU time it used.
import { randomFillSync } from 'node:crypto'
import { ChunkConfig, ChunkDistributor, buildManifest, memoryStorage } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'

const [count, size, chunkSize] = process.argv.slice(2).map(Number)
const content = randomFillSync(new Uint8Array(size))
const config = ChunkConfig.builder().chunkSize(chunkSize).build()
// The content is chunked and hashed once; every seeder's storage gets the same manifest and chunks.
const manifest = await buildManifest(content, { chunkSize })
const seeders = []
for (let i = 0; i < count; i++) {
  const storage = memoryStorage()()
  await storage.putManifest(manifest)
  for (let c = 0; c < manifest.chunkCount; c++) {
    const offset = manifest.chunkOffset(c)
    await storage.putChunk(manifest.root, c, content.subarray(offset, offset + manifest.chunkLength(c)))
  }
  seeders.push(await ChunkDistributor.create(config, { transports: [tcpTransport()], verifier: sha256Verifier(), storage: () => storage, listen: ['tcp://127.0.0.1:0'] }))
}
const cid = manifest.root
const cpuStart = process.cpuUsage()
process.stdout.write(JSON.stringify({ cid: cid.toString(), addresses: seeders.flatMap(s => s.addresses) }) + '\n')
process.stdin.once('data', async () => {
  const cpu = process.cpuUsage(cpuStart)
  await Promise.all(seeders.map(async s => { await s.stop() }))
  process.stdout.write(JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n')
  process.exit(0)
})
