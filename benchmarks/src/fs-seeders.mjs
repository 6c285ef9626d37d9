// Child process: `count` codio-chunk seeders of the contents in one fs storage folder (shared, read
// only, as several libtorrent sessions share one file), listening on loopback. Argument: JSON
// `{ dir, count, transport }`. Prints `{ addresses }`, then answers stdin lines `{ "op": "mark" }`
// (reset the CPU clock; with `"profile": path`, also start the V8 profiler), `{ "op": "cpu" }`
// (and write the profile to that path if one is running) and `{ "op": "stop" }` with
// `{ cpuSeconds, cpuUser, cpuSystem }`.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createInterface } from 'node:readline'
import { ChunkConfig, ChunkDistributor, chunkBuffers } from '@codio-chunk/core'
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
    // storage-fs's buffer ownership (see the Storage contract), so chunk buffers are reused here too.
    copiesOnPut: storage.copiesOnPut,
    ownedReads: storage.ownedReads,
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
  // One storage for every seeder of this process, reading into the process-wide chunk buffer pool the nodes use.
  const storage = fsStorage({ dir, fsync: 'never' })({ buffers: chunkBuffers })
  const seeders = []
  for (let i = 0; i < count; i++) {
    seeders.push(await ChunkDistributor.create(ChunkConfig.default(), {
      ...(await transportInit(transport)),
      verifier: sha256Verifier(),
      storage: () => sharedStorage(storage, count),
      listen: [listenAddress(transport)]
    }))
  }
  let start = process.cpuUsage()
  /** The profiler session and the path its profile goes to, while one runs. */
  let profiling
  const usage = () => {
    const u = process.cpuUsage(start)
    return { cpuSeconds: cpuSeconds(start), cpuUser: u.user / 1e6, cpuSystem: u.system / 1e6 }
  }
  print({ addresses: seeders.map(s => s.addresses[0]) })
  for await (const line of createInterface({ input: process.stdin })) {
    const { op, profile } = JSON.parse(line)
    if (op === 'mark') {
      if (profile !== undefined && profiling === undefined) {
        const session = new Session()
        session.connect()
        await session.post('Profiler.enable')
        await session.post('Profiler.setSamplingInterval', { interval: 200 })
        await session.post('Profiler.start')
        profiling = { session, path: profile }
      }
      start = process.cpuUsage()
      print({ ok: true })
    } else if (op === 'cpu') {
      const cpu = usage()
      if (profiling !== undefined) {
        const { profile: data } = await profiling.session.post('Profiler.stop')
        writeFileSync(profiling.path, JSON.stringify(data))
        profiling.session.disconnect()
        profiling = undefined
      }
      print(cpu)
    } else if (op === 'stop') {
      const cpu = usage()
      await Promise.all(seeders.map(async s => { await s.stop() }))
      print(cpu)
      break
    }
  }
  process.exit(0)
} catch (err) {
  print({ error: `codio-chunk seeders: ${err.message}` })
  process.exit(1)
}
