// Draws the README's charts from results/latest.json, one SVG per scenario family:
// throughput.svg (MiB/s by number of seeders, codio-chunk beside libtorrent and the spec),
// distribution.svg (swarm time by N, strategies beside libtorrent and the fluid-model bound) and
// micro.svg (strategy pick cost by chunk count). `node src/figures.mjs` redraws them.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { writeBarChart } from './chart.mjs'
import { RESULTS_DIR, readResults } from './results.mjs'
import { MiB } from './stats.mjs'

const SPEC_MB_S = { 1: 50, 5: 200, 10: 350 }

const label = (row) => {
  const name = row.system ?? row.transport ?? row.verifier ?? 'codio-chunk'
  return String(name)
}

/** Rows of every scenario that reports MiB/s by number of seeders (compare, swarm, transport…). */
function throughputSeries (results) {
  const series = []
  const groups = new Map()
  const add = (name, kind, seeders, value) => {
    if (!Number.isFinite(value)) return
    if (!series.some(s => s.name === name)) series.push({ name, kind })
    const g = groups.get(seeders) ?? { label: `${seeders} seeder${seeders === 1 ? '' : 's'}`, values: {} }
    g.values[name] = value
    groups.set(seeders, g)
  }
  const compare = results.compare
  for (const row of compare?.rows ?? []) {
    if (row.kind === 'diagnostic') continue // test-double rows explain a figure; they are not one
    const name = row.kind === 'comparison' ? label(row) : `${label(row).replace(/ tcp$/, ' TCP').replace(/ quic$/, ' QUIC')}, storage-fs`
    add(name, row.kind === 'comparison' ? 'comparison' : 'ours', row.seeders, row['MiB/s'])
  }
  for (const [scenario, data] of Object.entries(results)) {
    if (scenario === 'compare' || !Array.isArray(data?.rows)) continue
    for (const row of data.rows) {
      if (typeof row.seeders !== 'number' || typeof row['MiB/s'] !== 'number') continue
      add(`codio-chunk, ${label(row)}, memory storage (${scenario})`, 'ours', row.seeders, row['MiB/s'])
    }
  }
  // Ours first, then comparisons, then the spec.
  const order = { ours: 0, comparison: 1, reference: 2 }
  series.sort((a, b) => order[a.kind] - order[b.kind])
  const specName = 'spec (original Rust codio-chunk), MB/s as MiB/s'
  for (const [seeders, mbs] of Object.entries(SPEC_MB_S)) if (groups.has(Number(seeders))) add(specName, 'reference', Number(seeders), mbs * 1e6 / MiB)
  return { series, groups: [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g) }
}

function throughputChart (results) {
  const { series, groups } = throughputSeries(results)
  if (groups.length === 0) return undefined
  const size = results.compare?.size ?? results.swarm?.size
  return {
    file: 'throughput.svg',
    spec: {
      title: 'One downloader, loopback: MiB/s by number of seeders (higher is better)',
      subtitle: `${size ? `${size / MiB} MiB, ` : ''}256 KiB chunks/pieces, seeders in another process; medians of several runs on a shared 2-core machine`,
      unit: 'MiB/s',
      series,
      groups,
      lines: [{ value: 600, label: 'target 600 MiB/s' }]
    }
  }
}

function distributionChart (results) {
  const data = results.distribution
  if (!Array.isArray(data?.rows) || data.rows.length === 0) return undefined
  const series = []
  const groups = new Map()
  for (const row of data.rows) {
    const g = groups.get(row.N) ?? { label: `N = ${row.N}`, values: {} }
    g.values[row.system] = row['T s']
    g.values['fluid-model bound T_min'] = row['T_min s']
    groups.set(row.N, g)
    if (!series.some(s => s.name === row.system)) series.push({ name: row.system, kind: row.kind })
  }
  series.sort((a, b) => (a.kind === 'ours' ? 0 : 1) - (b.kind === 'ours' ? 0 : 1))
  series.push({ name: 'fluid-model bound T_min', kind: 'reference' })
  return {
    file: 'distribution.svg',
    spec: {
      title: 'Swarm: seconds until the last of N peers has the content (lower is better)',
      subtitle: `1 seeder + N peers, ${data.size / MiB} MiB, every upload capped at ${data.uploadLimit / MiB} MiB/s; client-server would take N·F/u_s`,
      unit: 'seconds',
      series,
      groups: [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g)
    }
  }
}

function microChart (results) {
  const picks = results.micro?.picks
  if (!Array.isArray(picks) || picks.length === 0) return undefined
  const series = []
  const groups = new Map()
  for (const row of picks) {
    const name = `${row.strategy}, ${row.peer}`
    if (!series.some(s => s.name === name)) series.push({ name, kind: 'ours' })
    const g = groups.get(row.chunks) ?? { label: `${row.chunks.toLocaleString('en-US')} chunks`, values: {} }
    g.values[name] = row['ns/pick']
    groups.set(row.chunks, g)
  }
  return {
    file: 'micro.svg',
    spec: {
      title: 'Strategy pick cost by content size (flat is the goal)',
      subtitle: '1 seeder + 20 peers holding half the chunks each, 10% completed; tinybench mean',
      unit: 'ns per pick',
      series,
      groups: [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g)
    }
  }
}

/** Writes every chart the results allow; returns the paths written. */
export function drawCharts (results = readResults(), dir = RESULTS_DIR) {
  const written = []
  for (const chart of [throughputChart(results), distributionChart(results), microChart(results)]) {
    if (chart === undefined) continue
    const path = join(dir, chart.file)
    writeBarChart(path, chart.spec)
    written.push(path)
  }
  return written
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const path of drawCharts()) process.stdout.write(`wrote ${path}\n`)
}
