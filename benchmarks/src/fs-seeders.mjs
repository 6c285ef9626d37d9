// Child process: `count` codio-chunk seeders of the contents in one fs storage folder (shared, read
// only, as several libtorrent sessions share one file), listening on loopback. Argument: JSON
// `{ dir, count, transport }`. Prints `{ addresses }`, then answers stdin lines `{ "op": "mark" }`
// (reset the CPU clock), `{ "op": "cpu" }` and `{ "op": "stop" }` with `{ cpuSeconds }`.
import { createInterface } from 'node:readline'
import { ChunkConfig, ChunkDistributor } from '@codio-chunk/core'
import { fsStorage } from '@codio-chunk/storage-fs'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { listenAddress, transportInit } from './transports.mjs'
import { cpuSeconds } from './stats.mjs'

const print = (value) => process.stdout.write(JSON.stringify(value) + '\n')

/** One storage for every seeder of this process; only the last `close()` closes it. */
function sharedStorage (storage, users) {
  let open = users
  return {
    name: storage.name,
    putManifest: (...a) => storage.putManifest(...a),
    getManifest: (...a) => storage.getManifest(...a),
    putChunk: (...a) => storage.putChunk(...a),
    getChunk: (...a) => storage.getChunk(...a),
    completed: (...a) => storage.completed(...a),
    list: (...a) => storage.list(...a),
    delete: (...a) => storage.delete(...a),
    readContent: (...a) => storage.readContent(...a),
    close: async () => { if (--open === 0) await storage.close() }
  }
}

try {
  const { dir, count, transport } = JSON.parse(process.argv[2])
  const storage = fsStorage({ dir, fsync: 'never' })
  const seeders = []
  for (let i = 0; i < count; i++) {
    seeders.push(await ChunkDistributor.create(ChunkConfig.default(), {
      ...(await transportInit(transport)),
      verifier: sha256Verifier(),
      storage: sharedStorage(storage, count),
      listen: [listenAddress(transport)]
    }))
  }
  let start = process.cpuUsage()
  print({ addresses: seeders.map(s => s.addresses[0]) })
  for await (const line of createInterface({ input: process.stdin })) {
    const { op } = JSON.parse(line)
    if (op === 'mark') {
      start = process.cpuUsage()
      print({ ok: true })
    } else if (op === 'cpu') {
      print({ cpuSeconds: cpuSeconds(start) })
    } else if (op === 'stop') {
      const cpu = cpuSeconds(start)
      await Promise.all(seeders.map(async s => { await s.stop() }))
      print({ cpuSeconds: cpu })
      break
    }
  }
  process.exit(0)
} catch (err) {
  print({ error: `codio-chunk seeders: ${err.message}` })
  process.exit(1)
}
