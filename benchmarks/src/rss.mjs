// Scenario `rss`: the downloader's peak memory while it fetches a 1 GiB file with storage-fs on
// both sides (seeders in another process). The downloader runs in its own process and reports
// process.resourceUsage().maxRSS, so the figure is its alone.
//
// Options: --rss-size MiB (1024; --quick 128), --rss-seeders N (1), --runs N (1), --fsync mode
// (batch; the first of a list such as compare's batch,never), --transports tcp (the first one is used).
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runJsonChild, spawnJsonLines } from './child.mjs'
import { importIntoFsStorage, scratchDir, writeRandomFile } from './fixtures.mjs'
import { MiB, list, median, tableRows } from './stats.mjs'
import { saveResults } from './results.mjs'
import { reportTargets, target } from './targets.mjs'

const SCENARIO = 'rss'
const LIMIT_MB = 256
const here = fileURLToPath(new URL('.', import.meta.url))
const { values } = parseArgs({
  args: process.argv.slice(2).filter(a => a !== '--'),
  strict: false,
  options: {
    quick: { type: 'boolean', default: false },
    'rss-size': { type: 'string' },
    'rss-seeders': { type: 'string', default: '1' },
    runs: { type: 'string' },
    fsync: { type: 'string', default: 'checkpoint' },
    transports: { type: 'string', default: 'tcp' }
  }
})
const size = Number(values['rss-size'] ?? (values.quick ? 128 : 1024)) * MiB
const seeders = Number(values['rss-seeders'])
const runs = Number(values.runs ?? 1)
const fsync = values.fsync.split(',')[0]
const transport = list(values.transports)[0]
const log = (line = '') => process.stdout.write(line + '\n')

async function main () {
  const work = scratchDir()
  const file = join(work, 'content.bin')
  log(`Preparing ${size / MiB} MiB of random content in storage-fs…`)
  await writeRandomFile(file, size)
  const store = join(work, 'seed')
  const cid = await importIntoFsStorage(file, store, 256 * 1024)
  rmSync(file)
  const child = spawnJsonLines(process.execPath, [join(here, 'fs-seeders.mjs'), JSON.stringify({ dir: store, count: seeders, transport })], { name: 'codio-chunk seeders' })
  const results = []
  try {
    const { addresses } = await child.next(120_000, 'seeder addresses')
    for (let r = 0; r < runs; r++) {
      const dir = join(work, 'download')
      const arg = JSON.stringify({ cid, addresses, dir, transport, fsync, timeoutMs: 900_000 })
      results.push(await runJsonChild(process.execPath, [join(here, 'fs-downloader.mjs'), arg], { name: 'codio-chunk downloader', timeoutMs: 960_000 }))
      rmSync(dir, { recursive: true, force: true })
    }
  } finally {
    child.send({ op: 'stop' })
    await child.exited(30_000)
  }
  const peakMiB = median(results.map(r => r.maxRssKiB / 1024))
  const row = {
    size: `${size / MiB} MiB`,
    seeders,
    transport,
    'MiB/s': median(results.map(r => size / MiB / r.seconds)),
    'peak RSS MiB': peakMiB,
    'peak RSS MB': peakMiB * MiB / 1e6,
    'RSS ÷ content': peakMiB * MiB / size
  }
  log(`\nOne downloader, ${size / MiB} MiB, storage-fs on both sides (downloader fsync: ${fsync}), ${transport} on loopback; median of ${runs}:`)
  console.table(tableRows([row]))
  saveResults(SCENARIO, { size, runs, fsync, row })
  const full = size >= 1024 * MiB
  reportTargets(SCENARIO, [target(`peak RSS of a ${size / MiB} MiB download`, row['peak RSS MB'], { atMost: LIMIT_MB, unit: 'MB', note: full ? undefined : 'the target is for 1 GiB: run without --quick' })], { write: log })
}

await main()
