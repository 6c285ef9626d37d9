// Child process of the cold scenario: downloads one content `repeat` times in this one process,
// each time with a new node and a new memory storage, over TCP from the seeders at `addresses`.
// Argument: JSON `{ cid, addresses, repeat = 1, profile?: { path, run } }` (`profile`: write a V8
// CPU profile of download number `run`, counted from 0, to `path`). Prints one JSON line per
// download: `{ run, seconds, cpuSeconds, cpuUser, cpuSystem, minorFaults, majorFaults, bytes,
// sinceStartMs }` (`seconds`, the CPU figures and the page faults cover the download alone, from
// `download()` to its end; `sinceStartMs`: from the process's start to the end of this download),
// then `{ processCpuSeconds, maxRssKiB }` for the whole process.
import { ChunkConfig, ChunkDistributor, memoryStorage } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { startProfiler } from './cpu-profile.mjs'

const print = (value) => process.stdout.write(JSON.stringify(value) + '\n')

try {
  const { cid, addresses, repeat = 1, profile } = JSON.parse(process.argv[2])
  for (let run = 0; run < repeat; run++) {
    const node = await ChunkDistributor.create(ChunkConfig.default(), { transports: [tcpTransport()], verifier: sha256Verifier(), storage: memoryStorage() })
    let bytes = 0
    node.events.on('chunk:verified', (event) => { bytes += event.bytes })
    const profiler = profile?.run === run ? await startProfiler(profile.path) : undefined
    const usage = process.resourceUsage()
    const cpu = process.cpuUsage()
    const started = performance.now()
    await node.download(cid, addresses, { signal: AbortSignal.timeout(300_000) })
    const seconds = (performance.now() - started) / 1000
    const used = process.cpuUsage(cpu)
    const after = process.resourceUsage()
    await profiler?.stop()
    print({
      run,
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
      cpuUser: used.user / 1e6,
      cpuSystem: used.system / 1e6,
      minorFaults: after.minorPageFault - usage.minorPageFault,
      majorFaults: after.majorPageFault - usage.majorPageFault,
      bytes,
      sinceStartMs: performance.now()
    })
    await node.stop()
  }
  const total = process.cpuUsage()
  print({ processCpuSeconds: (total.user + total.system) / 1e6, maxRssKiB: process.resourceUsage().maxRSS })
  process.exit(0)
} catch (err) {
  print({ error: `memory downloader: ${err.message}` })
  process.exit(1)
}
