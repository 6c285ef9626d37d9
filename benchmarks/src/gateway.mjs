// Scenario `gateway`: @codio-chunk/gateway serving content that only remote peers hold, every node
// in its own process (gateway-node.mjs, fs-seeders.mjs, fs-downloader.mjs), storage-fs everywhere,
// TCP on loopback, the HTTP client (http-reader.mjs) in this process.
// (1) Time to first byte of a 1 GiB content (--quick: 64 MiB) held by `--gw-seeders` seeders, from
//     a fresh gateway node: from the start (manifest and first chunk fetched) and of a range at the
//     middle on the same node (manifest known); headers and first body byte.
// (2) The rate of a full GET through a fresh gateway node, against the engine's download (what
//     `codio-chunk get` does) in a fresh process from the same seeders; runs interleaved. Then the
//     same GET again on that node, which now holds the content: the HTTP path alone.
// (3) Gateway RSS under `--readers` (100) concurrent range readers of that content, each reading
//     its own 1/readers of it, on a fresh node: the process's peak RSS before and during.
// (4) Origin offload: `--offload-nodes` gateway nodes (4, --quick 3; each its own process) connected to each
//     other, sharing one origin (a codio-chunk gateway on a node holding a `--offload-size` MiB
//     content: 256, --quick 32); a viewer arrives at each node every `--arrival` ms and GETs the
//     whole content. Bytes each node got from the origin and from peers (its originStats()),
//     offload = peer bytes ÷ all bytes, and the origin's HTTP egress in copies of the content.
// Options: --quick, --runs N (3; --quick 1), --gw-size MiB, --gw-seeders N (2), --readers N,
// --offload-size MiB, --offload-nodes N, --arrival ms (2000), --origin-delay ms (the engine's 3000).
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runJsonChild, spawnJsonLines } from './child.mjs'
import { importIntoFsStorage, scratchDir, writeRandomFile } from './fixtures.mjs'
import { readHttp } from './http-reader.mjs'
import { MiB, median, tableRows } from './stats.mjs'
import { saveResults } from './results.mjs'

const SCENARIO = 'gateway'
const CHUNK = 256 * 1024
const here = fileURLToPath(new URL('.', import.meta.url))
const { values } = parseArgs({
  args: process.argv.slice(2).filter(a => a !== '--'),
  strict: false,
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    'gw-size': { type: 'string' },
    'gw-seeders': { type: 'string', default: '2' },
    readers: { type: 'string', default: '100' },
    'offload-size': { type: 'string' },
    'offload-nodes': { type: 'string' },
    arrival: { type: 'string', default: '2000' },
    'origin-delay': { type: 'string' }
  }
})
const quick = values.quick
const size = Number(values['gw-size'] ?? (quick ? 64 : 1024)) * MiB
const seederCount = Number(values['gw-seeders'])
const runs = Number(values.runs ?? (quick ? 1 : 3))
const readers = Number(values.readers)
const offloadSize = Number(values['offload-size'] ?? (quick ? 32 : 256)) * MiB
const offloadNodes = Number(values['offload-nodes'] ?? (quick ? 3 : 4))
const arrivalMs = Number(values.arrival)
const originDelay = values['origin-delay'] === undefined ? undefined : Number(values['origin-delay'])
const log = (line = '') => process.stdout.write(line + '\n')
const mib = (bytes) => bytes / MiB
const work = scratchDir('codio-bench-gateway-')
let dirs = 0
const freshDir = () => join(work, `node-${dirs++}`)

/** Starts a gateway node process; resolves with its handle and what it printed first. */
async function startGatewayNode (init) {
  const dir = init.dir ?? freshDir()
  const child = spawnJsonLines(process.execPath, [join(here, 'gateway-node.mjs'), JSON.stringify({ ...init, dir })], { name: 'gateway node' })
  const ready = await child.next(60_000, 'gateway address')
  return {
    ...ready,
    stats: async () => { child.send({ op: 'stats' }); return await child.next(30_000, 'stats') },
    stop: async () => {
      child.send({ op: 'stop' })
      const last = await child.next(60_000, 'last stats')
      await child.exited(30_000)
      if (init.dir === undefined) rmSync(dir, { recursive: true, force: true })
      return last
    },
    connect: async (addresses) => { child.send({ op: 'connect', addresses }); return await child.next(30_000, 'connections') },
    kill: () => child.kill()
  }
}

/** Runs `body` with a gateway node, stopping it afterwards (killing it if the body failed). */
async function withGatewayNode (init, body) {
  const node = await startGatewayNode(init)
  let stopped = false
  try {
    const out = await body(node)
    const last = await node.stop()
    stopped = true
    return { out, last }
  } finally {
    if (!stopped) node.kill()
  }
}

/** A content of `bytes` random bytes imported into a new fs storage; `{ store, cid }`. */
async function prepareContent (name, bytes) {
  const file = join(work, `${name}.bin`)
  await writeRandomFile(file, bytes)
  const store = join(work, name)
  const cid = await importIntoFsStorage(file, store, CHUNK)
  rmSync(file)
  return { store, cid }
}

function expectFull (answer, status, bytes, what) {
  if (answer.status !== status || answer.bytes !== bytes) throw new Error(`${what}: status ${answer.status} with ${answer.bytes} bytes, expected ${status} with ${bytes}`)
}

async function firstByteAndFullGet (cid, seeders) {
  const rows = { ttfb: [], full: [], held: [], get: [] }
  for (let r = 0; r < runs; r++) {
    const { out: ttfb } = await withGatewayNode({ providers: seeders, listen: false }, async ({ url }) => {
      const start = await readHttp(`${url}/ipfs/${cid}`, { firstByteOnly: true, timeoutMs: 120_000 })
      const middle = await readHttp(`${url}/ipfs/${cid}`, { range: `bytes=${size / 2}-`, firstByteOnly: true, timeoutMs: 120_000 })
      if (start.status !== 200 || middle.status !== 206) throw new Error(`first byte: statuses ${start.status} and ${middle.status}, expected 200 and 206`)
      return { start, middle }
    })
    rows.ttfb.push(ttfb)
    const { out: { full, cpu, held }, last } = await withGatewayNode({ providers: seeders, listen: false }, async (node) => {
      const full = await readHttp(`${node.url}/ipfs/${cid}`, { timeoutMs: 900_000 })
      const { cpuSeconds, maxRssKiB } = await node.stats()
      // The same GET again: now the node holds the content, so this is the HTTP path alone.
      const held = await readHttp(`${node.url}/ipfs/${cid}`, { timeoutMs: 900_000 })
      return { full, cpu: { cpuSeconds, maxRssKiB }, held }
    })
    expectFull(full, 200, size, 'full GET')
    expectFull(held, 200, size, 'GET of the held content')
    rows.full.push({ seconds: full.seconds, ...cpu })
    rows.held.push({ seconds: held.seconds, cpuSeconds: last.cpuSeconds - cpu.cpuSeconds })
    const dir = freshDir()
    const get = await runJsonChild(process.execPath, [join(here, 'fs-downloader.mjs'), JSON.stringify({ cid, addresses: seeders, dir, transport: 'tcp', fsync: 'never', timeoutMs: 900_000 })], { name: 'codio-chunk downloader', timeoutMs: 960_000 })
    rmSync(dir, { recursive: true, force: true })
    rows.get.push(get)
    log(`  run ${r + 1}/${runs}: first byte ${ttfb.start.firstByteMs.toFixed(0)} ms (middle ${ttfb.middle.firstByteMs.toFixed(0)} ms), full GET ${(mib(size) / full.seconds).toFixed(0)} MiB/s (held: ${(mib(size) / held.seconds).toFixed(0)}), download ${(mib(size) / get.seconds).toFixed(0)} MiB/s`)
  }
  return rows
}

async function rangeReaders (cid, seeders) {
  const span = Math.floor(size / readers)
  const { out, last } = await withGatewayNode({ providers: seeders, listen: false }, async (node) => {
    const before = await node.stats()
    const started = performance.now()
    const answers = await Promise.all(Array.from({ length: readers }, async (_, i) => {
      const from = i * span
      return await readHttp(`${node.url}/ipfs/${cid}`, { range: `bytes=${from}-${from + span - 1}`, timeoutMs: 900_000 })
    }))
    const seconds = (performance.now() - started) / 1000
    for (const answer of answers) expectFull(answer, 206, span, 'range reader')
    return { before, seconds, firstByteMs: median(answers.map(a => a.firstByteMs)), slowestFirstByteMs: Math.max(...answers.map(a => a.firstByteMs)) }
  })
  return {
    readers,
    'range MiB': mib(span),
    seconds: out.seconds,
    'MiB/s (all readers)': mib(span * readers) / out.seconds,
    'median first byte ms': out.firstByteMs,
    'slowest first byte ms': out.slowestFirstByteMs,
    'RSS before MiB': out.before.rssKiB / 1024,
    'peak RSS MiB': last.maxRssKiB / 1024,
    'range requests': last.rangeRequests
  }
}

async function offload () {
  log(`\nPreparing ${mib(offloadSize)} MiB for the origin…`)
  const { store, cid } = await prepareContent('origin-content', offloadSize)
  const origin = await startGatewayNode({ dir: store, listen: false })
  const nodes = []
  try {
    for (let i = 0; i < offloadNodes; i++) nodes.push(await startGatewayNode({ origins: [origin.url], originDelay, listen: true }))
    // Every node dials the ones started before it, so each pair is connected once; a fetch asks the node's connected peers.
    for (let i = 1; i < nodes.length; i++) await nodes[i].connect(nodes.slice(0, i).flatMap(n => n.addresses))
    log(`${offloadNodes} gateway nodes sharing one origin; a viewer arrives every ${arrivalMs} ms and reads the whole ${mib(offloadSize)} MiB…`)
    const viewers = await Promise.all(nodes.map(async (node, i) => {
      await new Promise(resolve => setTimeout(resolve, i * arrivalMs))
      const answer = await readHttp(`${node.url}/ipfs/${cid}`, { timeoutMs: 900_000 })
      expectFull(answer, 200, offloadSize, `viewer ${i + 1}`)
      return answer
    }))
    const stats = []
    for (const node of nodes) stats.push(await node.stop())
    const served = await origin.stop()
    const rows = stats.map((s, i) => ({
      node: i + 1,
      'arrives s': i * arrivalMs / 1000,
      'GET s': viewers[i].seconds,
      'first byte ms': viewers[i].firstByteMs,
      'from origin MiB': mib(s.origin.originBytes),
      'from peers MiB': mib(s.origin.peerBytes),
      offload: s.origin.offload
    }))
    const originBytes = stats.reduce((sum, s) => sum + s.origin.originBytes, 0)
    const peerBytes = stats.reduce((sum, s) => sum + s.origin.peerBytes, 0)
    return {
      rows,
      total: {
        nodes: offloadNodes,
        'content MiB': mib(offloadSize),
        'from origin MiB': mib(originBytes),
        'from peers MiB': mib(peerBytes),
        offload: peerBytes / (originBytes + peerBytes),
        'origin HTTP egress MiB': mib(served.egressBytes),
        'origin copies sent': served.egressBytes / offloadSize,
        'origin requests': served.requests
      }
    }
  } finally {
    origin.kill()
    for (const n of nodes) n.kill()
    rmSync(store, { recursive: true, force: true })
  }
}

async function main () {
  log(`Preparing ${mib(size)} MiB of random content in storage-fs…`)
  const content = await prepareContent('content', size)
  const seeders = spawnJsonLines(process.execPath, [join(here, 'fs-seeders.mjs'), JSON.stringify({ dir: content.store, count: seederCount, transport: 'tcp' })], { name: 'codio-chunk seeders' })
  let timing, memory
  try {
    const { addresses } = await seeders.next(120_000, 'seeder addresses')
    log(`\nFirst byte and full GET of ${mib(size)} MiB through a fresh gateway node, from ${seederCount} seeder(s) in another process (${runs} run(s), interleaved with the engine's download):`)
    timing = await firstByteAndFullGet(content.cid, addresses)
    log(`\n${readers} concurrent range readers on a fresh gateway node…`)
    memory = await rangeReaders(content.cid, addresses)
  } finally {
    seeders.send({ op: 'stop' })
    await seeders.exited(30_000)
  }
  rmSync(content.store, { recursive: true, force: true })
  const shared = await offload()

  const firstByte = {
    size: `${mib(size)} MiB`,
    seeders: seederCount,
    'headers ms (from 0)': median(timing.ttfb.map(t => t.start.headersMs)),
    'first byte ms (from 0)': median(timing.ttfb.map(t => t.start.firstByteMs)),
    'first byte ms (range at 50%)': median(timing.ttfb.map(t => t.middle.firstByteMs))
  }
  const gatewayRate = median(timing.full.map(f => mib(size) / f.seconds))
  const getRate = median(timing.get.map(g => mib(size) / g.seconds))
  const fullGet = [
    { path: 'gateway: HTTP GET, content only on the seeders', 'MiB/s': gatewayRate, 'node CPU s/GiB': median(timing.full.map(f => f.cpuSeconds / (size / 1024 / MiB))), 'node peak RSS MiB': median(timing.full.map(f => f.maxRssKiB / 1024)) },
    { path: 'gateway: the same GET again, content held', 'MiB/s': median(timing.held.map(h => mib(size) / h.seconds)), 'node CPU s/GiB': median(timing.held.map(h => h.cpuSeconds / (size / 1024 / MiB))), 'node peak RSS MiB': undefined },
    { path: "engine: download() (codio-chunk get)", 'MiB/s': getRate, 'node CPU s/GiB': median(timing.get.map(g => g.cpuSeconds / (size / 1024 / MiB))), 'node peak RSS MiB': median(timing.get.map(g => g.maxRssKiB / 1024)) }
  ]
  log(`\nTime to first byte through a fresh gateway node (content only on the seeders; median of ${runs}):`)
  console.table(tableRows([firstByte]))
  log(`Full GET against the engine's download, each node a fresh process with storage-fs (median of ${runs}); gateway ÷ download = ${(gatewayRate / getRate).toFixed(2)}:`)
  console.table(tableRows(fullGet))
  log(`${readers} concurrent range readers (each ${mib(Math.floor(size / readers)).toFixed(2)} MiB at its own offset), one gateway node, content only on the seeders:`)
  console.table(tableRows([memory]))
  log(`Origin offload: ${offloadNodes} gateway nodes (each its own process) sharing one origin (a codio-chunk gateway), a viewer every ${arrivalMs / 1000} s:`)
  console.table(tableRows(shared.rows))
  console.table(tableRows([shared.total]))
  saveResults(SCENARIO, {
    size,
    runs,
    seeders: seederCount,
    firstByte,
    fullGet,
    gatewayOverDownload: gatewayRate / getRate,
    rangeReaders: memory,
    offload: { arrivalMs, originDelay: originDelay ?? 3000, rows: shared.rows, total: shared.total }
  })
}

await main()
