// Scenario `micro` (tinybench): the cost of one strategy pick for 10^3, 10^5 and 10^6 chunks (it
// must stay flat or grow at most logarithmically: the engine keeps rarity incrementally and no
// pick scans the content), the wire codec's encode / decode rates and the rate of CID computation
// (computeContentId = buildManifest on 64 MiB). Hashing backends are the `hashing` scenario.
//
// Options: --quick (shorter sampling, 16 MiB for the CID rate), --sizes 1000,100000,1000000,
// --time ms per task (300; --quick 80).
import { randomFillSync } from 'node:crypto'
import { parseArgs } from 'node:util'
import { Bench } from 'tinybench'
import {
  Bitfield, ChunkAvailability, ContentId, FrameDecoder, PeerHoldings, computeContentId, createRandom, decodeFrame, encodeMessage
} from '@codio-chunk/core'
import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
import { randomOrder } from '@codio-chunk/strategy-random'
import { sequential } from '@codio-chunk/strategy-sequential'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { MiB, list, tableRows } from './stats.mjs'
import { saveResults } from './results.mjs'
import { check, reportTargets } from './targets.mjs'

const SCENARIO = 'micro'
const { values } = parseArgs({
  args: process.argv.slice(2).filter(a => a !== '--'),
  strict: false,
  options: { quick: { type: 'boolean', default: false }, sizes: { type: 'string', default: '1000,100000,1000000' }, time: { type: 'string' } }
})
const quick = values.quick
const sizes = list(values.sizes, true)
const time = Number(values.time ?? (quick ? 80 : 300))
const log = (line = '') => process.stdout.write(line + '\n')
const STRATEGIES = [['rarest-first', rarestFirst()], ['random', randomOrder()], ['sequential', sequential()]]
const PARTIAL_PEERS = 20
/** Operations per tinybench sample for sub-microsecond operations (tinybench keeps every sample). */
const BATCH = 1000

/**
 * A download of `n` chunks in mid-flight: 10% completed, 1 seeder and 20 partial peers that each
 * hold a random half of the content, counted in the rarity index.
 */
function midDownload (n) {
  const random = createRandom(n)
  const availability = new ChunkAvailability(n)
  const seeder = new PeerHoldings(n)
  seeder.markComplete()
  availability.peerJoined(seeder)
  const bytes = new Uint8Array(Math.ceil(n / 8))
  let partial
  for (let p = 0; p < PARTIAL_PEERS; p++) {
    // Seeded, so every run measures the same state.
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256)
    if (n % 8 !== 0) bytes[bytes.length - 1] &= 0xff << (8 - (n % 8))
    partial = new PeerHoldings(n)
    partial.setBitfield(Bitfield.fromBytes(n, bytes))
    availability.peerJoined(partial)
  }
  for (let k = 0; k < n / 10; k++) availability.markCompleted(Math.floor(random() * n))
  return { availability, seeder, partial, random }
}

async function pickCosts () {
  const rows = []
  for (const n of sizes) {
    const state = midDownload(n)
    const bench = new Bench({ time, warmupTime: Math.min(100, time) })
    for (const [name, strategy] of STRATEGIES) {
      for (const [who, peer] of [['seeder', state.seeder], ['partial peer', state.partial]]) {
        const options = { position: n >> 1, random: state.random }
        bench.add(`${name}|${who}`, () => {
          for (let k = 0; k < BATCH; k++) {
            if (strategy.pick(state.availability.view(peer, options)) === undefined) throw new Error(`${name} found nothing for the ${who}`)
          }
        })
      }
    }
    // Not a strategy: one random read of an n-entry Int32Array, the memory latency any O(1) pick
    // that samples the candidates pays once the index outgrows the CPU caches.
    const dense = new Int32Array(n)
    for (let i = 0; i < n; i++) dense[i] = i // touched, so its pages are real memory
    let sink = 0
    bench.add('(baseline: one random array read)|-', () => {
      for (let k = 0; k < BATCH; k++) sink ^= dense[Math.floor(state.random() * n)]
    })
    await bench.run()
    if (sink === -1) throw new Error('unreachable')
    for (const task of bench.tasks) {
      const [strategy, peer] = task.name.split('|')
      rows.push({ strategy, peer, chunks: n, 'ns/pick': task.result.latency.mean * 1e6 / BATCH })
    }
    log(`  picks measured for ${n} chunks`)
  }
  return rows
}

/** Frames as a TCP stream delivers them: one buffer with `count` data frames of `chunk` bytes. */
function dataStream (count, chunk) {
  const payload = randomFillSync(new Uint8Array(chunk))
  const parts = []
  for (let i = 0; i < count; i++) parts.push(...encodeMessage({ type: 'data', id: i, bytes: payload }))
  const total = parts.reduce((s, p) => s + p.length, 0)
  const stream = new Uint8Array(total)
  let at = 0
  for (const p of parts) { stream.set(p, at); at += p.length }
  return stream
}

async function codecRates () {
  const content = ContentId.parse('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e').cid
  const chunk = randomFillSync(new Uint8Array(256 * 1024))
  const dataFrame = (() => { const [h, p] = encodeMessage({ type: 'data', id: 7, bytes: chunk }); const f = new Uint8Array(h.length + p.length); f.set(h); f.set(p, h.length); return f.subarray(4) })()
  const haveFrame = encodeMessage({ type: 'have', content, index: 12345 })[0].subarray(4)
  const requestFrame = encodeMessage({ type: 'request-chunk', id: 9, content, index: 12345 })[0].subarray(4)
  const stream = dataStream(16, 256 * 1024)
  const decoder = new FrameDecoder({ maxFrameSize: 4 * MiB + 4096 })
  let frames = 0
  const onFrame = () => { frames++ }
  const bench = new Bench({ time, warmupTime: Math.min(100, time) })
  const batch = (fn) => () => { for (let k = 0; k < BATCH; k++) fn() }
  bench
    .add('encode data (256 KiB chunk: header only, the chunk is not copied)', batch(() => { encodeMessage({ type: 'data', id: 1, bytes: chunk }) }))
    .add('encode request-chunk', batch(() => { encodeMessage({ type: 'request-chunk', id: 1, content, index: 12345 }) }))
    .add('encode have', batch(() => { encodeMessage({ type: 'have', content, index: 12345 }) }))
    .add('decode data frame (256 KiB: a view, no copy)', batch(() => { decodeFrame(dataFrame) }))
    .add('decode request-chunk frame', batch(() => { decodeFrame(requestFrame) }))
    .add('decode have frame', batch(() => { decodeFrame(haveFrame) }))
    .add('FrameDecoder: 4 MiB stream in 64 KiB pieces (copies)', () => {
      for (let at = 0; at < stream.length; at += 65536) decoder.push(stream.subarray(at, at + 65536), onFrame)
    })
    .add('FrameDecoder: 4 MiB stream in one piece (views)', () => { decoder.push(stream, onFrame) })
  await bench.run()
  return bench.tasks.map(task => {
    const perCall = task.name.startsWith('FrameDecoder') ? 1 : BATCH
    const opsPerSecond = 1000 * perCall / task.result.latency.mean
    const bytes = task.name.startsWith('FrameDecoder') ? stream.length : task.name.includes('256 KiB') ? chunk.length : 0
    return { operation: task.name, 'ns/op': task.result.latency.mean * 1e6 / perCall, 'ops/s': opsPerSecond, 'MiB/s': bytes > 0 ? opsPerSecond * bytes / MiB : null }
  })
}

async function cidRates () {
  const size = (quick ? 16 : 64) * MiB
  const content = randomFillSync(new Uint8Array(size))
  const verifier = sha256Verifier()
  const backend = await verifier.backend()
  const bench = new Bench({ time: 0, iterations: quick ? 2 : 5, warmup: false })
  bench
    .add('computeContentId (CIDv1, default hasher)', async () => { await computeContentId(content) })
    .add(`computeContentId (CIDv1, sha256Verifier, ${backend} backend)`, async () => { await computeContentId(content, { verifier }) })
    .add('computeContentId (CIDv0, dag-pb leaves)', async () => { await computeContentId(content, { cidVersion: 0 }) })
  await bench.run()
  await verifier.close?.()
  return bench.tasks.map(task => ({ operation: `${task.name}, ${size / MiB} MiB`, 'ms': task.result.latency.mean, 'MiB/s': size / MiB / (task.result.latency.mean / 1000) }))
}

async function main () {
  log(`Strategy pick cost (1 seeder + ${PARTIAL_PEERS} peers holding half the chunks each, 10% completed; tinybench, ${time} ms per task):`)
  const picks = await pickCosts()
  const smallest = Math.min(...sizes)
  const largest = Math.max(...sizes)
  const pickTable = []
  for (const name of [...STRATEGIES.map(([n]) => n), '(baseline: one random array read)']) {
    for (const peer of name.startsWith('(') ? ['-'] : ['seeder', 'partial peer']) {
      const of = (n) => picks.find(r => r.strategy === name && r.peer === peer && r.chunks === n)['ns/pick']
      pickTable.push({ strategy: name, peer, ...Object.fromEntries(sizes.map(n => [`ns/pick, ${n} chunks`, of(n)])), [`${largest} ÷ ${smallest}`]: of(largest) / of(smallest) })
    }
  }
  console.table(tableRows(pickTable))
  log('\nWire codec:')
  const codec = await codecRates()
  console.table(tableRows(codec))
  log('\nCID computation (chunking, hashing every chunk, building the DAG):')
  const cid = await cidRates()
  console.table(tableRows(cid))
  saveResults(SCENARIO, { picks, pickTable, codec, cid, time })
  // Flat or logarithmic: from 10^3 to 10^6 chunks log2 grows 2x; allow 4x for cache effects.
  const targets = pickTable.filter(r => r.peer !== '-').map(r => check(`pick cost flat or logarithmic: ${r.strategy}, ${r.peer}`, r[`${largest} ÷ ${smallest}`] <= 4, `${largest} ÷ ${smallest} chunks = ${r[`${largest} ÷ ${smallest}`].toFixed(2)}x`))
  reportTargets(SCENARIO, targets, { write: log })
}

await main()
