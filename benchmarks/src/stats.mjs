// Small numeric helpers shared by the scenarios: medians of several runs and table formatting.

export const MiB = 1024 * 1024
export const GiB = 1024 * MiB

/** The median of `values` (the upper middle one for an even count); undefined for none. */
export function median (values) {
  const xs = values.filter(v => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b)
  return xs.length === 0 ? undefined : xs[Math.floor(xs.length / 2)]
}

/** Rounds numbers for display: 0 decimals from 100, 1 from 10, 2 below. Others pass through. */
export function round (value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value ?? '–'
  const a = Math.abs(value)
  return Number(value.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2))
}

/** `rows` with every number rounded by {@link round}, for `console.table`. */
export function tableRows (rows) {
  return rows.map(r => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)])))
}

/** Parses a comma-separated list (`'1,5,10'`), optionally as numbers. */
export function list (text, numbers = false) {
  const items = String(text ?? '').split(',').map(s => s.trim()).filter(s => s !== '')
  return numbers ? items.map(Number) : items
}

/** CPU seconds (user + system) since `since` (a `process.cpuUsage()` value). */
export function cpuSeconds (since) {
  const u = process.cpuUsage(since)
  return (u.user + u.system) / 1e6
}
