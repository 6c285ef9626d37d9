// Scenario `compare`: one downloader fetching the same random file (256 MiB) on loopback from 1, 5
// and 10 seeders in another process, with storage-fs on both sides, over each transport; with
// `--compare`, libtorrent 2.0 peers (defaults and tuned) fetch the same file with the same 256 KiB
// pieces in the same invocation, runs interleaved, and each row prints codio-chunk ÷ libtorrent.
//
// Options: --size MiB (256; --quick 32), --runs N (3, 9 with --compare; --quick 1), --warmups N
// (untimed downloads per system after its seeders start: 1; --quick 0), --seeders 1,5,10,
// --transports tcp,quinn,quic (all three; --quick: tcp), --compare, --lt-profiles default,tuned, --lt-format v1|v2|hybrid (v1),
// --fsync checkpoint,never (the downloader's storage-fs modes: TCP gets one row per mode, the first
// one for the other transports; default checkpoint, the storage's default, and never, which is
// what libtorrent does: it never fsyncs piece data; batch and always can be added), --backend NAME
// (the downloader's SHA-256 backend, default auto), --profile / --no-profile (one extra
// profiled run of the downloader and the seeders; on by default except with --quick),
// --baseline DIR (another checkout of this repository, built: its codio-chunk runs as an extra
// row, interleaved with this one, so a change is measured before / after in one invocation),
// --doubles / --no-doubles (on by default except with --quick: three more TCP rows, fsync never,
// whose downloader swaps hashing, storage writes or both for test doubles, to show what each
// costs; they are diagnostics, never results: no targets, no chart bars), --hold-page-reporting
// (root, on a virtual machine that hands freed memory back to its host: hold that back for 60 s
// during the run and put the setting back at exit; see page-reporting.mjs; on by default where it
// can be: root on such a machine), --no-hold-page-reporting (measure with the machine's setting).
// Ratios between rows are medians of per-round ratios.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ContentId } from '@codio-chunk/core'
import { fsStorage } from '@codio-chunk/storage-fs'
import { runJsonChild, spawnJsonLines } from './child.mjs'
import { importIntoFsStorage, scratchDir, sha256File, writeRandomFile } from './fixtures.mjs'
import { GiB, MiB, list, median, runOrder, tableRows } from './stats.mjs'
import { saveResults } from './results.mjs'
import { reportTargets, target, check } from './targets.mjs'
import { writeDigestTable } from './noop-verifier.mjs'
import { formatProfile, summariseProfile } from './cpu-profile.mjs'
import { canHoldPageReporting, holdPageReporting, pageReporting, pageReportingNote } from './page-reporting.mjs'
import { createTorrent, ensureLibtorrent, leech, startSeeders } from './libtorrent/libtorrent.mjs'

const SCENARIO = 'compare'
const CHUNK = 256 * 1024
const TARGET_MIB_S = 600
/** The spec's figures for the original Rust codio-chunk, in MB/s, by number of peers. */
export const SPEC_MB_S = { 1: 50, 5: 200, 10: 350 }
/** Why WebTorrent has no row (checked by installing webtorrent@2.8.5 from the npm registry into a scratch folder). */
export const WEBTORRENT_NOTE = 'WebTorrent 2.8.5: left out. It does not install from the registry alone: its WebRTC dependency node-datachannel downloads a prebuilt binary from GitHub in its install script (unreachable here; the source-build fallback fails too), and webtorrent then fails to load (missing node_datachannel.node). Stubbing that dependency would not be the client users install.'

const here = fileURLToPath(new URL('.', import.meta.url))
/** How long `--hold-page-reporting` keeps freed memory from being reported to the host. */
const HOLD_REPORTING_MS = 60_000
/** What each downloader fsync mode means, for the table's caption. */
const FSYNC_MEANING = {
  checkpoint: 'checkpoint = storage-fs\'s default, no fsync while downloading: data then journal synced in the background every 5 s and every 1 GiB, and on close',
  batch: 'batch = data and journal fsynced every 64 chunks in the background, the next batch waiting for a running sync',
  never: 'never = the operating system writes when it likes, as libtorrent does (it never fsyncs piece data)',
  always: 'always = every chunk fsynced before it counts'
}
const { values } = parseArgs({
  args: process.argv.slice(2).filter(a => a !== '--'),
  strict: false,
  options: {
    quick: { type: 'boolean', default: false },
    size: { type: 'string' },
    runs: { type: 'string' },
    seeders: { type: 'string', default: '1,5,10' },
    transports: { type: 'string' },
    compare: { type: 'boolean', default: false },
    'lt-profiles': { type: 'string', default: 'default,tuned' },
    'lt-format': { type: 'string', default: 'v1' },
    fsync: { type: 'string', default: 'checkpoint,never' },
    backend: { type: 'string' },
    profile: { type: 'boolean' },
    'no-profile': { type: 'boolean' },
    baseline: { type: 'string' },
    doubles: { type: 'boolean' },
    'no-doubles': { type: 'boolean' },
    'hold-page-reporting': { type: 'boolean' },
    warmups: { type: 'string' },
    'no-hold-page-reporting': { type: 'boolean', default: false }
  }
})
const quick = values.quick
const size = Number(values.size ?? (quick ? 32 : 256)) * MiB
// With --compare, 9 rounds: its verdicts are medians of per-round ratios, and single runs of a
// 256 MiB download on 2 shared cores vary by ±20% (one ratio in three or four is off that much).
const runs = Number(values.runs ?? (quick ? 1 : values.compare ? 9 : 3))
const warmups = Number(values.warmups ?? (quick ? 0 : 1))
if (!Number.isInteger(warmups) || warmups < 0) throw new Error(`--warmups takes a whole number, got ${values.warmups}`)
const seederCounts = list(values.seeders, true)
// Every transport in a full run (TCP first: the profiled run and the targets use it); TCP alone when quick.
const transports = list(values.transports ?? (quick ? 'tcp' : 'tcp,quinn,quic'))
// Node 20's parseArgs has no negated booleans: `--no-x` is an option of its own.
const profileRun = values['no-profile'] === true ? false : values.profile ?? !quick
const doublesRun = values['no-doubles'] === true ? false : values.doubles ?? !quick
const fsyncModes = list(values.fsync)
for (const mode of fsyncModes) if (!['checkpoint', 'batch', 'never', 'always'].includes(mode)) throw new Error(`--fsync takes checkpoint, batch, never or always, got ${mode}`)
const log = (line = '') => process.stdout.write(line + '\n')

/**
 * A codio-chunk system: seeders in one child process, each download in a fresh one. `scripts` is
 * the folder of fs-seeders.mjs and fs-downloader.mjs (this one, or a baseline checkout's).
 */
function codioSystem (transport, work, cid, store, { scripts = here, label = '', kind = 'ours', fsync = fsyncModes[0], doubles = {} } = {}) {
  return {
    name: `codio-chunk ${transport}${fsync === 'checkpoint' ? '' : `, fsync ${fsync}`}${label}`,
    kind,
    transport,
    fsync,
    async start (count) {
      const child = spawnJsonLines(process.execPath, [join(scripts, 'fs-seeders.mjs'), JSON.stringify({ dir: store, count, transport })], { name: `codio-chunk seeders (${transport}${label})` })
      const { addresses } = await child.next(120_000, 'seeder addresses')
      return {
        addresses,
        async mark (profile) { child.send({ op: 'mark', ...(profile !== undefined ? { profile } : {}) }); await child.next(30_000, 'mark') },
        /** `{ cpuSeconds, cpuUser?, cpuSystem? }` since the last mark (a baseline's seeders may lack the split). */
        async cpu () { child.send({ op: 'cpu' }); return await child.next(30_000, 'CPU time') },
        async stop () { child.send({ op: 'stop' }); await child.next(30_000, 'stop'); await child.exited() }
      }
    },
    async download (seeders, dir, extra = {}) {
      const arg = JSON.stringify({ cid, addresses: seeders.addresses, dir, transport, fsync, ...(values.backend ? { backend: values.backend } : {}), ...doubles, ...extra })
      const r = await runJsonChild(process.execPath, [join(scripts, 'fs-downloader.mjs'), arg], { name: `codio-chunk downloader (${transport}${label})`, timeoutMs: 600_000 })
      if (r.bytes !== size) throw new Error(`codio-chunk downloaded ${r.bytes} bytes, expected ${size}`)
      // The double hashes only blocks missing from its table: the manifest's few interior nodes.
      if (r.missedBytes > size / 100) throw new Error(`the no-op verifier had to hash ${r.missedBytes} bytes of blocks it did not know`)
      // The storage double keeps nothing to compare; every chunk still matched its CID on the way.
      if (doubles.noStore !== true && await sha256OfStoredContent(dir, cid) !== work.sha) throw new Error('codio-chunk\'s copy differs from the original file')
      return { seconds: r.seconds, firstChunkMs: r.firstChunkMs, cpuSeconds: r.cpuSeconds, cpuUser: r.cpuUser, cpuSystem: r.cpuSystem, maxRssKiB: r.maxRssKiB, stopSeconds: r.stopSeconds, stopCpuSeconds: r.stopCpuSeconds, syncs: r.syncs }
    }
  }
}

/** A libtorrent system with one settings profile. */
function libtorrentSystem (profile, version, work) {
  return {
    name: `libtorrent ${version.replace(/\.0$/, '')} ${profile}`,
    kind: 'comparison',
    async start (count) {
      const seeders = await startSeeders(work.torrent, work.dir, count, profile)
      return { ...seeders, async cpu () { return { cpuSeconds: await seeders.cpu() } }, async stop () { await seeders.stop() } }
    },
    async download (seeders, dir) {
      mkdirSync(dir, { recursive: true })
      const onCrash = ({ attempt, signal }) => log(`  (libtorrent ${profile} leecher crashed with ${signal} on attempt ${attempt}: running it again)`)
      const r = await leech(work.torrent, dir, profile, seeders.ports, { onCrash })
      if (await sha256File(join(dir, 'content.bin')) !== work.sha) throw new Error(`libtorrent ${profile}: the leecher's copy differs from the original file`)
      return { seconds: r.seconds, firstChunkMs: r.firstPieceMs, cpuSeconds: r.cpuSeconds, maxRssKiB: r.maxRssKiB }
    }
  }
}

/**
 * `order` with the systems of `group` moved next to each other, where the first of them stands,
 * keeping their order among themselves.
 */
function adjacent (order, group) {
  if (group.length < 2) return order
  const members = new Set(group)
  const first = order.findIndex(i => members.has(i))
  const rest = order.filter(i => !members.has(i))
  return [...rest.slice(0, first), ...order.filter(i => members.has(i)), ...rest.slice(first)]
}

async function sha256OfStoredContent (dir, cid) {
  const storage = fsStorage({ dir, fsync: 'never' })()
  const hash = createHash('sha256')
  try {
    for await (const part of storage.readContent(ContentId.parse(cid))) hash.update(part)
  } finally {
    await storage.close()
  }
  return hash.digest('hex')
}

async function main () {
  const work = { dir: scratchDir() }
  const file = join(work.dir, 'content.bin')
  log(`Preparing ${size / MiB} MiB of random content…`)
  work.sha = await writeRandomFile(file, size)
  const store = join(work.dir, 'codio-seed')
  const cid = await importIntoFsStorage(file, store, CHUNK)
  // TCP (or the first transport) once per fsync mode; the other transports with the first mode.
  const systems = [
    ...fsyncModes.map(fsync => codioSystem(transports[0], work, cid, store, { fsync })),
    ...transports.slice(1).map(t => codioSystem(t, work, cid, store))
  ]
  if (doublesRun && transports[0] === 'tcp') {
    // The digests of every block, from the seeders' storage before they start: the verifier double looks them up.
    const digestTable = join(work.dir, 'digests.json')
    const seedStorage = fsStorage({ dir: store, fsync: 'never' })()
    try { await writeDigestTable(seedStorage, ContentId.parse(cid), digestTable) } finally { await seedStorage.close() }
    for (const [label, doubles] of [[', no-op verifier (test double)', { digestTable }], [', no-op storage (test double)', { noStore: true }], [', no-op verifier and storage (test doubles)', { digestTable, noStore: true }]]) {
      systems.push(codioSystem('tcp', work, cid, store, { fsync: 'never', kind: 'diagnostic', label, doubles }))
    }
  }
  if (values.baseline !== undefined) {
    // The baseline's own scripts, so its children import its own built packages.
    const scripts = join(resolve(values.baseline), 'benchmarks', 'src')
    systems.push(codioSystem(transports[0], work, cid, store, { scripts, label: ' (baseline)', kind: 'baseline' }))
  }
  let ltVersion
  if (values.compare) {
    ltVersion = ensureLibtorrent({ log })
    work.torrent = join(work.dir, 'content.torrent')
    await createTorrent(file, work.torrent, CHUNK, values['lt-format'])
    for (const profile of list(values['lt-profiles'])) systems.push(libtorrentSystem(profile, ltVersion, work))
  }
  log(WEBTORRENT_NOTE)
  const reporting = pageReporting()
  let heldReportingMs = null
  // Held by default where it can be (root on a machine that reports free pages), asked for with
  // --hold-page-reporting (which fails saying why where it cannot be), never with --no-hold-page-reporting.
  const hold = values['no-hold-page-reporting'] === true ? false : values['hold-page-reporting'] ?? (reporting !== undefined && canHoldPageReporting())
  if (hold) {
    holdPageReporting(HOLD_REPORTING_MS)
    heldReportingMs = HOLD_REPORTING_MS
    log(`Free page reporting held back for this run: freed memory stays with this machine for ${HOLD_REPORTING_MS / 1000} s before the host may take it (min_free_ms ${reporting.minFreeMs} → ${HOLD_REPORTING_MS}; put back at exit; --no-hold-page-reporting measures without).`)
  } else if (reporting !== undefined) {
    log(pageReportingNote(reporting))
  }
  const ours = systems[0]
  // The rows of the first transport, one per fsync mode, run one right after the other in every
  // round (in the round's shuffled order between them): checkpoint ÷ never compares runs seconds apart.
  const tcpModes = fsyncModes.map((_, i) => i) // systems 0 .. fsyncModes.length - 1
  const rows = []
  /** Per-run MiB/s of every system, by name and seeder count (for ratios between any two rows). */
  const rates = new Map()
  let profile
  for (const count of seederCounts) {
    const seeders = []
    for (const s of systems) seeders.push(await s.start(count))
    const perRun = systems.map(() => [])
    try {
      // Untimed: the first download from a freshly started codio-chunk seeders process runs while
      // that process compiles its hot paths (in a 9-run compare, each codio-chunk TCP row's first
      // run was 0.72-0.85 of its median; libtorrent's first runs 0.96-1.19). Seeders are
      // long-running; every timed run has a fresh downloader process (the cold scenario measures
      // a fresh downloader against a seeder warmed the same way).
      for (let w = 0; w < warmups; w++) {
        for (const i of runOrder(systems.length, -1 - w, count)) {
          const dir = join(work.dir, `download-${i}`)
          await systems[i].download(seeders[i], dir)
          rmSync(dir, { recursive: true, force: true })
        }
      }
      let previous = null
      for (let r = 0; r < runs; r++) {
        // A new order every round: no system always goes first on a warming machine, or always
        // runs right after the same other one.
        for (const i of adjacent(runOrder(systems.length, r, count), tcpModes)) {
          const dir = join(work.dir, `download-${i}`)
          await seeders[i].mark()
          const result = await systems[i].download(seeders[i], dir)
          const seederCpu = await seeders[i].cpu()
          result.seederCpuSeconds = seederCpu.cpuSeconds
          result.seederCpuSystem = seederCpu.cpuSystem
          result.after = previous
          previous = systems[i].name
          perRun[i].push(result)
          rmSync(dir, { recursive: true, force: true })
        }
      }
      if (profileRun && ours.transport === 'tcp' && count === Math.max(...seederCounts)) {
        profile = await profiledRun(ours, seeders[0], work.dir, count).catch((err) => ({ lines: [`The profiled run failed: ${err.message}`] }))
      }
    } finally {
      for (const s of seeders) await s.stop().catch(() => {})
    }
    systems.forEach((s, i) => {
      const results = perRun[i]
      const mibs = results.map(x => size / MiB / x.seconds)
      rates.set(`${s.name}/${count}`, mibs)
      const ratios = perRun[0].map((x, r) => (size / MiB / x.seconds) / mibs[r])
      rows.push({
        system: s.name,
        kind: s.kind,
        seeders: count,
        'MiB/s': median(mibs),
        'first chunk ms': median(results.map(x => x.firstChunkMs)),
        'downloader CPU s/GiB': median(results.map(x => x.cpuSeconds * GiB / size)),
        'seeders CPU s/GiB': median(results.map(x => x.seederCpuSeconds * GiB / size)),
        'both CPU s/GiB': median(results.map(x => (x.cpuSeconds + x.seederCpuSeconds) * GiB / size)),
        'downloader system s/GiB': median(results.map(x => x.cpuSystem === undefined ? undefined : x.cpuSystem * GiB / size)) ?? null,
        'seeders system s/GiB': median(results.map(x => x.seederCpuSystem === undefined ? undefined : x.seederCpuSystem * GiB / size)) ?? null,
        'downloader peak RSS MiB': median(results.map(x => x.maxRssKiB / 1024)),
        // node.stop() after the download: storage-fs's last checkpoint (or batch sync) happens there.
        'downloader stop ms': median(results.map(x => x.stopSeconds === undefined ? undefined : x.stopSeconds * 1000)) ?? null,
        'downloader stop CPU ms': median(results.map(x => x.stopCpuSeconds === undefined ? undefined : x.stopCpuSeconds * 1000)) ?? null,
        // Per run, in run order: what the median hides (a slow run in every few, a drift).
        'MiB/s per run': mibs.map(x => Math.round(x)),
        // The system that ran just before each run (null: the first run after the seeders started).
        'after per run': results.map(x => x.after),
        // The downloader's user and system CPU seconds, per run (a slow run: more work, or waiting?).
        'downloader CPU user/system s per run': results.map(x => x.cpuUser === undefined ? null : [Number(x.cpuUser.toFixed(3)), Number(x.cpuSystem.toFixed(3))]),
        // fdatasync/fsync calls the downloader made while downloading (storage-fs's checkpoints), per run.
        'downloader syncs per run': results.some(x => x.syncs !== undefined) ? results.map(x => x.syncs ?? null) : null,
        'spec MB/s': SPEC_MB_S[count] ?? null,
        'codio-chunk ÷ this': s.kind !== 'ours' ? median(ratios) : null
      })
      const syncs = results.map(x => x.syncs).filter(x => x !== undefined && x.count > 0)
      const syncNote = syncs.length === 0 ? '' : `; fsyncs while downloading: ${syncs.map(x => `${x.count} in ${x.ms} ms`).join(', ')}`
      log(`${s.name}, ${count} seeder(s): ${median(mibs).toFixed(0)} MiB/s (median of ${runs}; runs ${mibs.map(x => x.toFixed(0)).join(' ')}${syncNote})`)
    })
  }
  log(`\nOne downloader, ${size / MiB} MiB of random content, ${CHUNK / 1024} KiB chunks / pieces, loopback, seeders in another process, storage-fs on both sides (downloader fsync: ${fsyncModes.map(m => FSYNC_MEANING[m]).join('; ')})${values.compare ? `, libtorrent ${ltVersion} via python3-libtorrent (${values['lt-format']} torrent, DHT/LSD/UPnP/NAT-PMP/uTP off)` : ''}; medians of ${runs} interleaved run(s):`)
  // The system-time split stays in latest.json; the printed table keeps to what fits a terminal.
  console.table(tableRows(rows.map(({ kind, 'downloader system s/GiB': ds, 'seeders system s/GiB': ss, 'downloader stop CPU ms': sc, 'MiB/s per run': pr, 'downloader CPU user/system s per run': cu, 'downloader syncs per run': sy, 'after per run': ap, ...r }) => r)))
  if (profile !== undefined) for (const line of profile.lines) log(line)
  // A baseline checkout's rows are for comparing changes, not results of this checkout: printed only.
  saveResults(SCENARIO, { size, chunkSize: CHUNK, runs, fsync: fsyncModes, libtorrent: ltVersion ?? null, webtorrent: WEBTORRENT_NOTE, rows: rows.filter(r => r.kind !== 'baseline'), profile: profile?.summary ?? null, note: profile?.note ?? null, pageReporting: reporting === undefined ? null : { order: reporting.order, minFreeMs: reporting.minFreeMs, heldMs: heldReportingMs }, warmups })
  const diagnostics = rows.filter(r => r.kind === 'diagnostic')
  if (diagnostics.length > 0) {
    // Not results: how fast the same download is when hashing, writing or both cost nothing.
    log('\nWhat hashing and writing cost (downloader test doubles, fsync never, MiB/s):')
    for (const count of seederCounts) {
      const real = rows.find(r => r.seeders === count && r.kind === 'ours' && r.system === 'codio-chunk tcp, fsync never')
      const parts = diagnostics.filter(r => r.seeders === count).map(r => `${r.system.replace(/^codio-chunk tcp, fsync never, /, '')} ${r['MiB/s'].toFixed(0)}`)
      log(`  ${count} seeder(s): real ${real === undefined ? '–' : real['MiB/s'].toFixed(0)}; ${parts.join('; ')}`)
    }
  }
  const baselines = rows.filter(r => r.kind === 'baseline')
  if (baselines.length > 0) {
    // Not a target: how this checkout compares with the one given by --baseline, runs interleaved.
    log(`This checkout ÷ the baseline (${values.baseline}), median of per-run ratios: ${baselines.map(r => `${r.seeders} seeder(s) ${r['codio-chunk ÷ this'].toFixed(2)}`).join(', ')}`)
  }
  const targets = []
  // Every TCP row of this checkout: the storage default (fsync checkpoint) and the like-for-like one.
  const tcpRows = ours.transport === 'tcp' ? systems.filter(s => s.kind === 'ours' && s.transport === 'tcp') : []
  const never = tcpRows.find(s => s.fsync === 'never')
  for (const count of seederCounts) {
    const tuned = rows.find(r => r.seeders === count && r.system.endsWith(' tuned'))
    for (const s of tcpRows) {
      const mine = rows.find(r => r.seeders === count && r.system === s.name)
      const what = `codio-chunk TCP, ${size / MiB} MiB, storage-fs fsync ${s.fsync}, ${count} seeder(s)`
      targets.push(target(what, mine['MiB/s'], { atLeast: TARGET_MIB_S, unit: 'MiB/s', note: quick ? 'quick run: small size' : undefined }))
      if (s.fsync === 'checkpoint' && never !== undefined) {
        // The storage default against no fsync at all, round by round (each round runs both).
        const ratio = median(rates.get(`${s.name}/${count}`).map((x, r) => x / rates.get(`${never.name}/${count}`)[r]))
        targets.push(check(`fsync checkpoint (the default) within 5% of fsync never, ${count} seeder(s)`, ratio >= 0.95, `checkpoint ÷ never = ${ratio.toFixed(2)}, median of ${runs} rounds`))
      }
      if (tuned === undefined) continue
      const theirs = rates.get(`${tuned.system}/${count}`)
      const ratio = median(rates.get(`${s.name}/${count}`).map((x, r) => x / theirs[r]))
      targets.push(check(`at or above tuned libtorrent, fsync ${s.fsync}, ${count} seeder(s)`, ratio >= 1, `codio-chunk ÷ libtorrent tuned = ${ratio.toFixed(2)}, median of ${runs} rounds`))
    }
  }
  reportTargets(SCENARIO, targets, { write: log })
}

/**
 * One extra run with the V8 profiler on in the downloader and in the seeders' process during the
 * download: where does each main thread spend its time, and could this machine reach 600 MiB/s
 * at the CPU cost measured?
 */
async function profiledRun (system, seeders, workDir, count) {
  const file = join(workDir, 'download.cpuprofile')
  const seederFile = join(workDir, 'seeders.cpuprofile')
  const dir = join(workDir, 'download-profiled')
  await seeders.mark(seederFile)
  const result = await system.download(seeders, dir, { profile: file })
  const seederCpu = (await seeders.cpu()).cpuSeconds
  rmSync(dir, { recursive: true, force: true })
  const summary = summariseProfile(JSON.parse(readFileSync(file, 'utf8')))
  const seederSummary = summariseProfile(JSON.parse(readFileSync(seederFile, 'utf8')))
  const gib = size / GiB
  const mainPerGiB = summary.busyMs / 1000 / gib
  const seederMainPerGiB = seederSummary.busyMs / 1000 / gib
  const budget = 1024 / TARGET_MIB_S
  const top = summary.categories.slice(0, 3).map(c => `${c.name} ${(c.share * 100).toFixed(0)}%`).join(', ')
  const seederTop = seederSummary.categories.slice(0, 3).map(c => `${c.name} ${(c.share * 100).toFixed(0)}%`).join(', ')
  const busy = summary.busyMs / 1000 / result.seconds
  const coresNeeded = (result.cpuSeconds + seederCpu) / gib * TARGET_MIB_S / 1024
  const note = `Profiled run (${count} seeders, TCP, profilers on, so slower: ${(size / MiB / result.seconds).toFixed(0)} MiB/s). ` +
    `The downloader's main thread was busy ${(busy * 100).toFixed(0)}% of the time, ${mainPerGiB.toFixed(2)} s per GiB; at ${TARGET_MIB_S} MiB/s it has ${budget.toFixed(2)} s per GiB. Largest shares: ${top}. ` +
    `The seeders' main thread: ${seederMainPerGiB.toFixed(2)} s per GiB (${seederTop}). ` +
    `Downloader and seeders together used ${((result.cpuSeconds + seederCpu) / gib).toFixed(2)} CPU s per GiB (${(result.cpuSeconds / gib).toFixed(2)} + ${(seederCpu / gib).toFixed(2)}, main threads, helper threads and the kernel's work for both): ${TARGET_MIB_S} MiB/s would need ${coresNeeded.toFixed(1)} cores, this machine has ${cpus().length}, shared. ` +
    (coresNeeded > cpus().length
      ? `So the limit is CPU on both sides of the loopback${mainPerGiB > budget ? ', and the downloader\'s main thread alone is over its budget' : ''}: reaching the target here takes fewer CPU seconds per GiB (hashing off the main thread or cheaper, fewer copies and syscalls per chunk, less garbage), or more cores.`
      : busy > 0.85
        ? 'The downloader\'s main thread is the limit: take work off it (hashing in worker threads, fewer copies and syscalls per chunk, less garbage).'
        : 'Neither side is CPU-bound here: look at the disk (fsync) and the other load on the machine.')
  return {
    summary: { downloader: summary, seeders: seederSummary },
    note,
    lines: ['', ...formatProfile(summary, 'Where the downloader spends its main thread'), ...formatProfile(seederSummary, 'Where the seeders\' process spends its main thread'), note]
  }
}

await main()
