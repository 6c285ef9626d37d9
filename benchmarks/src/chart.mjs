// A small, dependency-free SVG writer for grouped bar charts: one group per scenario, one bar per
// series (codio-chunk's rows first, then comparison and reference rows), a value above each bar,
// optional horizontal target lines. Output is deterministic (same input, same bytes).
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

const OURS = ['#1d4ed8', '#60a5fa', '#0f766e', '#5eead4', '#7c3aed', '#c4b5fd', '#1e3a8a', '#0891b2']
const COMPARISON = ['#ea580c', '#f59e0b', '#b45309', '#fb923c']
const REFERENCE = ['#9ca3af', '#6b7280', '#d1d5db']

const BAR = 24
const BAR_GAP = 3
const GROUP_GAP = 28
const PLOT_HEIGHT = 220
const LEFT = 64
const RIGHT = 24
const TOP_TITLE = 26

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** A short label for a bar's value: 3 significant digits, k / M suffixes. */
export function shortNumber (value) {
  const a = Math.abs(value)
  if (a === 0) return '0'
  if (a >= 1e6) return `${+(value / 1e6).toPrecision(3)}M`
  if (a >= 1e4) return `${+(value / 1e3).toPrecision(3)}k`
  if (a >= 100) return value.toFixed(0)
  if (a >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

/** A "nice" axis step (1, 2 or 5 times a power of ten) so that `max` needs about `ticks` steps. */
export function niceStep (max, ticks = 5) {
  if (!(max > 0)) return 1
  const raw = max / ticks
  const power = 10 ** Math.floor(Math.log10(raw))
  const m = raw / power
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power
}

function colorsFor (series) {
  const used = { ours: 0, comparison: 0, reference: 0 }
  return series.map(s => {
    const kind = s.kind ?? 'ours'
    const palette = kind === 'comparison' ? COMPARISON : kind === 'reference' ? REFERENCE : OURS
    return s.color ?? palette[used[kind]++ % palette.length]
  })
}

/** Lays the legend out in rows that fit `width`; returns the items with positions and the height. */
function legendLayout (series, width) {
  const items = []
  let x = LEFT
  let y = 0
  for (const s of series) {
    const w = 18 + s.name.length * 6.2 + 16
    if (x + w > width - RIGHT && x > LEFT) {
      x = LEFT
      y += 16
    }
    items.push({ name: s.name, x, y })
    x += w
  }
  return { items, height: series.length === 0 ? 0 : y + 16 }
}

/**
 * The SVG text of a grouped bar chart.
 *
 * @param {object} spec
 * @param {string} spec.title
 * @param {string} [spec.subtitle] - one line under the title (conditions, "higher is better")
 * @param {string} spec.unit - the value axis label, e.g. `MiB/s`
 * @param {{ name: string, kind?: 'ours' | 'comparison' | 'reference', color?: string }[]} spec.series
 * @param {{ label: string, values: Record<string, number | null | undefined> }[]} spec.groups
 * @param {{ value: number, label: string }[]} [spec.lines] - horizontal target lines
 * @returns {string}
 *
 * @example
 * const svg = barChart({ title: 'Throughput', unit: 'MiB/s', series: [{ name: 'ours' }, { name: 'libtorrent', kind: 'comparison' }],
 *   groups: [{ label: '1 seeder', values: { ours: 600, libtorrent: 450 } }] })
 */
export function barChart ({ title, subtitle, unit, series, groups, lines = [] }) {
  const shown = series.filter(s => groups.some(g => Number.isFinite(g.values[s.name])))
  const colors = colorsFor(shown)
  const groupWidth = (g) => Math.max(1, shown.filter(s => Number.isFinite(g.values[s.name])).length) * (BAR + BAR_GAP) - BAR_GAP
  const plotWidth = groups.reduce((w, g) => w + groupWidth(g) + GROUP_GAP, GROUP_GAP / 2)
  const textWidth = Math.max(title.length * 8, (subtitle ?? '').length * 5.9)
  const width = Math.ceil(Math.max(520, LEFT + plotWidth + RIGHT, LEFT + textWidth + RIGHT))
  const legend = legendLayout(shown, width)
  const top = TOP_TITLE + (subtitle ? 16 : 0) + 10 + legend.height + 14
  const height = top + PLOT_HEIGHT + 44
  const values = groups.flatMap(g => shown.map(s => g.values[s.name]).filter(Number.isFinite))
  const max = Math.max(0, ...values, ...lines.map(l => l.value))
  const step = niceStep(max * 1.08)
  const axisMax = Math.max(step, Math.ceil((max * 1.08) / step) * step)
  const y = (v) => top + PLOT_HEIGHT - (v / axisMax) * PLOT_HEIGHT
  const out = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`)
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  out.push(`<text x="${LEFT}" y="18" font-size="14" font-weight="bold" fill="#111827">${escape(title)}</text>`)
  if (subtitle) out.push(`<text x="${LEFT}" y="${TOP_TITLE + 8}" fill="#4b5563">${escape(subtitle)}</text>`)
  const legendTop = TOP_TITLE + (subtitle ? 16 : 0) + 10
  shown.forEach((s, i) => {
    const item = legend.items[i]
    out.push(`<rect x="${item.x}" y="${legendTop + item.y}" width="12" height="12" fill="${colors[i]}"${s.kind === 'reference' ? ' fill-opacity="0.6"' : ''}/>`)
    out.push(`<text x="${item.x + 17}" y="${legendTop + item.y + 10}" fill="#111827">${escape(s.name)}</text>`)
  })
  for (let v = 0; v <= axisMax + step / 2; v += step) {
    const yy = y(v).toFixed(1)
    out.push(`<line x1="${LEFT}" y1="${yy}" x2="${width - RIGHT}" y2="${yy}" stroke="#e5e7eb"/>`)
    out.push(`<text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#4b5563">${escape(shortNumber(v))}</text>`)
  }
  out.push(`<text transform="translate(14 ${(top + PLOT_HEIGHT / 2).toFixed(1)}) rotate(-90)" text-anchor="middle" fill="#374151">${escape(unit)}</text>`)
  let x = LEFT + GROUP_GAP / 2
  for (const g of groups) {
    const gw = groupWidth(g)
    let bx = x
    shown.forEach((s, i) => {
      const v = g.values[s.name]
      if (!Number.isFinite(v)) return
      const top = y(Math.max(0, v))
      out.push(`<rect x="${bx}" y="${top.toFixed(1)}" width="${BAR}" height="${(y(0) - top).toFixed(1)}" fill="${colors[i]}"${s.kind === 'reference' ? ' fill-opacity="0.6"' : ''}><title>${escape(`${s.name}, ${g.label}: ${shortNumber(v)} ${unit}`)}</title></rect>`)
      out.push(`<text x="${bx + BAR / 2}" y="${(top - 3).toFixed(1)}" text-anchor="middle" font-size="9" fill="#111827">${escape(shortNumber(v))}</text>`)
      bx += BAR + BAR_GAP
    })
    out.push(`<text x="${(x + gw / 2).toFixed(1)}" y="${top + PLOT_HEIGHT + 16}" text-anchor="middle" fill="#111827">${escape(g.label)}</text>`)
    x += gw + GROUP_GAP
  }
  for (const line of lines) {
    const yy = y(line.value).toFixed(1)
    out.push(`<line x1="${LEFT}" y1="${yy}" x2="${width - RIGHT}" y2="${yy}" stroke="#dc2626" stroke-dasharray="5 3"/>`)
    out.push(`<text x="${width - RIGHT}" y="${(y(line.value) - 4).toFixed(1)}" text-anchor="end" font-size="10" fill="#dc2626">${escape(line.label)}</text>`)
  }
  out.push(`<line x1="${LEFT}" y1="${y(0)}" x2="${width - RIGHT}" y2="${y(0)}" stroke="#374151"/>`)
  out.push('</svg>')
  return out.join('\n') + '\n'
}

/** Writes {@link barChart}'s SVG to `path` (folders created). */
export function writeBarChart (path, spec) {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, barChart(spec))
}
