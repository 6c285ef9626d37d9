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

/**
 * The order in which `n` systems run in round `round` of an interleaved comparison: a shuffle
 * seeded by the round and `salt`, so every system takes every place and follows every other one
 * over the rounds. (Rotating one fixed order lets the same system follow the same predecessor in
 * every round, and whatever that predecessor leaves behind on the machine, such as freed memory or
 * disk work, then counts against one system only.)
 *
 * @example
 * for (let r = 0; r < runs; r++) for (const i of runOrder(systems.length, r)) await run(systems[i])
 */
export function runOrder (n, round, salt = 0) {
  // The seed goes through a full 32-bit mix first: mulberry32 started from seeds that differ in a
  // few bits gives nearly the same first draws (seeds of rounds 0, 1 and 2 put system 7 first and
  // system 0 right after system 6 in all three, with 9 systems and salt 10).
  let state = mix32(mix32(round + 1) ^ Math.imul(salt + 1, 0x9e3779b9))
  const random = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  return order
}

/** murmur3's 32-bit finaliser: every input bit changes about half of the output bits. */
function mix32 (x) {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}
