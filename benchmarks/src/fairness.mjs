// Scenario `fairness`: does tit-for-tat make a peer that does not upload pay for it? One seeder
// and N cooperative peers (8), every node's upload capped (3 MiB/s), 24 MiB of content, a rechoke
// every second and the optimistic unchoke rotated every 3 s, every node in its own process. Rows,
// rounds interleaved:
// - `cooperative only`: the N cooperative peers alone;
// - `free-rider`: plus one peer whose upload is capped at 1 B/s (it takes and gives nothing back);
// - `large view`: plus such a peer that dials every peer while each cooperative peer dials only
//   `--view` others (it collects optimistic unchokes from everyone);
// - `strategic`: plus a peer that uploads a quarter of what the others do, spread over a slot per
//   peer (BitTyrant's idea: just enough to every peer to stay among its best uploaders).
// Once cooperative peers finish they seed everyone, the odd peer too, as in BitTorrent, so what
// counts is what the odd peer gets while the others still download: its share of the content when
// the median cooperative peer finishes (target: at most 60% for the free-rider), and its finish
// time ÷ that median. Also where its bytes came from: the seeder, cooperative peers' regular or
// optimistic slots while they download, and cooperative peers that finished.
//
// Options: --fair-peers 8 (comma list), --fair-size MiB (24), --fair-cap MiB/s (3), --runs N (3;
// --quick 1), --view K (2), --fair-rows cooperative,free-rider,large-view,strategic, --config JSON
// (other ChunkConfig options for every node).
import { randomFillSync } from 'node:crypto'
import { parseArgs } from 'node:util'
import { runCodioSwarm } from './swarm-run.mjs'
import { MiB, list, median, tableRows } from './stats.mjs'
import { saveResults } from './results.mjs'
import { reportTargets, target } from './targets.mjs'
import { createRandom } from '@codio-chunk/core'

const SCENARIO = 'fairness'
const { values } = parseArgs({
  args: process.argv.slice(2).filter(a => a !== '--'),
  strict: false,
  options: {
    quick: { type: 'boolean', default: false },
    'fair-peers': { type: 'string' },
    'fair-size': { type: 'string' },
    'fair-cap': { type: 'string' },
    'fair-rows': { type: 'string' },
    runs: { type: 'string' },
    view: { type: 'string' },
    config: { type: 'string' }
  }
})
const quick = values.quick
const peerCounts = list(values['fair-peers'] ?? '8', true)
const size = Number(values['fair-size'] ?? 24) * MiB
const cap = Number(values['fair-cap'] ?? 3) * MiB
const runs = Number(values.runs ?? (quick ? 1 : 3))
const view = Number(values.view ?? 2)
const rowNames = list(values['fair-rows'] ?? 'cooperative,free-rider,large-view,strategic')
/** Every node: a rechoke each second, the optimistic slot rotated every 3 s (BitTorrent's 10 s / 30 s, scaled to a short run). */
const nodeConfig = { rechokeInterval: 1000, optimisticUnchokeInterval: 3000, ...(values.config === undefined ? {} : JSON.parse(values.config)) }
const log = (line = '') => process.stdout.write(line + '\n')

/** Every peer before g (each pair dialled once). */
const allBefore = (g) => Array.from({ length: g }, (_, i) => i)

/**
 * The rows: `odd` is the settings of the extra peer (the last one), `dial` who each peer dials.
 * The cooperative peers of `large view` each dial `view` random peers before them.
 */
function variants (n, seed) {
  const random = createRandom(seed)
  const few = Array.from({ length: n }, (_, g) => allBefore(g).sort(() => random() - 0.5).slice(0, view))
  const all = {
    cooperative: { name: 'cooperative only', extra: false },
    'free-rider': { name: 'free-rider', extra: true, odd: { uploadLimit: 1 } },
    'large-view': { name: 'large view', extra: true, odd: { uploadLimit: 1 }, dial: (g) => g < n ? few[g] : allBefore(g) },
    strategic: { name: 'strategic', extra: true, odd: { uploadLimit: cap / 4, config: { uploadSlots: n } } }
  }
  return rowNames.map(name => {
    if (all[name] === undefined) throw new Error(`unknown --fair-rows entry ${name}; rows: ${Object.keys(all).join(', ')}`)
    return all[name]
  })
}

/** What one run says about its odd peer (the last one) against the cooperative peers. */
function measure (x, n, extra, chunkCount) {
  const coop = x.workerFinish.slice(0, n)
  const coopMedian = median(coop)
  if (!extra) return { coopMedian, coopLast: Math.max(...coop) }
  const odd = n
  const held = x.details[odd].arrivals.filter(t => t <= coopMedian).length / chunkCount
  // Where the odd peer's bytes came from, in MiB, whenever they came.
  const id = x.peerIds[odd]
  const from = { seeder: 0, regular: 0, optimistic: 0, 'finished peers': 0 }
  from.seeder = (x.seederServed[id]?.seeding ?? 0) / MiB
  for (let g = 0; g < n; g++) {
    const s = x.details[g].served[id]
    if (s === undefined) continue
    from.regular += s.regular / MiB
    from.optimistic += s.optimistic / MiB
    from['finished peers'] += s.seeding / MiB
  }
  return { coopMedian, coopLast: Math.max(...coop), held, ratio: x.workerFinish[odd] / coopMedian, from }
}

async function main () {
  const content = randomFillSync(new Uint8Array(size))
  const chunkCount = Math.ceil(size / (256 * 1024))
  log(`1 seeder + N cooperative peers (+ 1 odd peer), ${size / MiB} MiB, every upload capped at ${cap / MiB} MiB/s (the free-rider's at 1 B/s), ${JSON.stringify(nodeConfig)}, every node its own process, TCP on loopback.`)
  const rows = []
  const targets = []
  for (const n of peerCounts) {
    const rowsOfN = variants(n, 7 + n)
    for (const v of rowsOfN) v.results = []
    for (let r = 0; r < runs; r++) {
      for (const v of r % 2 === 1 ? [...rowsOfN].reverse() : rowsOfN) {
        const peers = n + (v.extra ? 1 : 0)
        const x = await runCodioSwarm({
          content, peers, workers: peers, strategy: 'rarest-first', uploadLimit: cap, seed: 1 + r * 7919, config: nodeConfig, detail: true,
          peerOptions: (g) => v.extra && g === n ? v.odd : {},
          dialOf: v.dial ?? allBefore
        })
        const m = measure(x, n, v.extra, chunkCount)
        v.results.push(m)
        log(`N = ${n}, ${v.name}, round ${r + 1}: cooperative median ${m.coopMedian.toFixed(2)} s${v.extra ? `; odd peer held ${(m.held * 100).toFixed(0)}% then, finished at ${m.ratio.toFixed(2)}x; its MiB from ${Object.entries(m.from).map(([k, b]) => `${k} ${b.toFixed(1)}`).join(', ')}` : ''}`)
      }
    }
    for (const v of rowsOfN) {
      const med = (f) => median(v.results.map(f))
      const row = {
        row: v.name,
        N: n,
        'cooperative median s': med(m => m.coopMedian),
        'cooperative last s': med(m => m.coopLast),
        'odd peer share at coop median': v.extra ? med(m => m.held) : NaN,
        'odd peer time ÷ coop median': v.extra ? med(m => m.ratio) : NaN
      }
      if (v.extra) for (const k of Object.keys(v.results[0].from)) row[`MiB from ${k}`] = med(m => m.from[k])
      rows.push(row)
    }
    const rider = rows.find(r => r.N === n && r.row === 'free-rider')
    const coopOnly = rows.find(r => r.N === n && r.row === 'cooperative only')
    if (rider !== undefined) {
      targets.push(target(`free-rider's share of the content when the median cooperative peer finishes, N = ${n}`, rider['odd peer share at coop median'], {
        atMost: 0.6,
        note: `it finished at ${rider['odd peer time ÷ coop median'].toFixed(2)}x the cooperative median${coopOnly !== undefined ? `; cooperative median ${rider['cooperative median s'].toFixed(2)} s with it, ${coopOnly['cooperative median s'].toFixed(2)} s without` : ''}`
      }))
    }
  }
  log(`\nMedians of ${runs} runs; the odd peer is the free-rider, the large-view client or the strategic client; "share" is the part of the content it held when the median cooperative peer finished:`)
  console.table(tableRows(rows))
  saveResults(SCENARIO, { size, uploadLimit: cap, runs, view, config: nodeConfig, rows })
  reportTargets(SCENARIO, targets, { write: log })
}

await main()
