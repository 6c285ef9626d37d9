// Child process: one codio-chunk node downloading one content into a fresh fs storage folder, so
// that its CPU time and peak RSS are its own. Argument: JSON `{ cid, addresses, dir, transport,
// backend?, fsync?, timeoutMs?, profile?, digestTable?, noStore? }` (`profile`: write a V8 CPU
// profile of the download, and only of it, to that path; `digestTable`: verify with the no-op
// test double over that table instead of hashing; `noStore`: a test double of the storage whose
// chunk writes do nothing). Prints `{ seconds, firstChunkMs, cpuSeconds, cpuUser, cpuSystem,
// maxRssKiB, bytes, stopSeconds, stopCpuSeconds, syncs, missedBytes? }` (`syncs`: the fsyncs made
// while downloading, `{ count, ms, maxMs }`; `missedBytes`: hashed for real by
// the verifier double) once every chunk is verified and stored (or dropped, with noStore) and the
// node has stopped; `seconds` and the CPU figures end when the download resolves, `stopSeconds` and
// `stopCpuSeconds` are what `node.stop()` took after it (storage-fs's last checkpoint is there).
import { ChunkConfig, ChunkDistributor, ContentId } from '@codio-chunk/core'
import { fsStorage } from '@codio-chunk/storage-fs'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { transportInit } from './transports.mjs'
import { tableVerifier } from './noop-verifier.mjs'
import { writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'

const print = (value) => process.stdout.write(JSON.stringify(value) + '\n')

/**
 * Times every fdatasync / fsync the process makes through fs/promises file handles (storage-fs
 * makes them all that way): `take()` returns `{ count, ms, maxMs }` since the last take.
 */
async function timeSyncs () {
  const probe = await open(process.execPath, 'r')
  const proto = Object.getPrototypeOf(probe)
  await probe.close()
  let count = 0
  let ms = 0
  let maxMs = 0
  for (const name of ['datasync', 'sync']) {
    const original = proto[name]
    proto[name] = async function (...args) {
      const began = performance.now()
      try {
        return await original.apply(this, args)
      } finally {
        const took = performance.now() - began
        count++
        ms += took
        maxMs = Math.max(maxMs, took)
      }
    }
  }
  return { take () { const taken = { count, ms: Math.round(ms), maxMs: Math.round(maxMs) }; count = 0; ms = 0; maxMs = 0; return taken } }
}

try {
  const { cid, addresses, dir, transport, backend, fsync, timeoutMs = 300_000, profile, digestTable, noStore = false } = JSON.parse(process.argv[2])
  const real = fsStorage({ dir, ...(fsync !== undefined ? { fsync } : {}) })
  // The storage test double keeps manifests (the engine needs the manifest) and drops chunk data.
  const storage = noStore ? (components) => Object.assign(Object.create(real(components)), { name: 'no-op storage (test double)', copiesOnPut: true, async putChunk () {} }) : real
  const verifier = digestTable !== undefined ? tableVerifier(digestTable) : sha256Verifier(backend === undefined ? {} : { backend })
  const node = await ChunkDistributor.create(ChunkConfig.default(), {
    ...(await transportInit(transport)),
    verifier,
    storage
  })
  let first
  let bytes = 0
  node.events.on('chunk:verified', (event) => {
    first ??= performance.now()
    bytes += event.bytes
  })
  const session = profile === undefined ? undefined : new Session()
  if (session !== undefined) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 200 })
    await session.post('Profiler.start')
  }
  const syncs = await timeSyncs()
  const cpuStart = process.cpuUsage()
  const started = performance.now()
  await node.download(cid, addresses, { signal: AbortSignal.timeout(timeoutMs) })
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuStart)
  const syncsDuringDownload = syncs.take()
  if (session !== undefined) {
    const { profile: data } = await session.post('Profiler.stop')
    writeFileSync(profile, JSON.stringify(data))
    session.disconnect()
  }
  const complete = noStore || (await node.storage.completed(ContentId.parse(cid)))?.complete === true
  const stopCpu = process.cpuUsage()
  const stopStarted = performance.now()
  await node.stop()
  const stopSeconds = (performance.now() - stopStarted) / 1000
  const stopUsage = process.cpuUsage(stopCpu)
  if (!complete) throw new Error('the download resolved but storage does not hold every chunk')
  print({
    seconds,
    firstChunkMs: first === undefined ? null : first - started,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    cpuUser: cpu.user / 1e6,
    cpuSystem: cpu.system / 1e6,
    maxRssKiB: process.resourceUsage().maxRSS,
    bytes,
    stopSeconds,
    stopCpuSeconds: (stopUsage.user + stopUsage.system) / 1e6,
    syncs: syncsDuringDownload,
    ...(verifier.stats !== undefined ? { missedBytes: verifier.stats.missedBytes } : {})
  })
  process.exit(0)
} catch (err) {
  print({ error: `codio-chunk downloader: ${err.message}` })
  process.exit(1)
}
