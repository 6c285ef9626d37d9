// Where a process spends its time: reads a V8 .cpuprofile (node --cpu-prof) and adds self time up
// by function and by category (hashing, transport, storage, engine, garbage collection, idle…),
// so a benchmark can say what limits it.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'

/** Category of a profile node, from its function name and script URL. First match wins. */
const CATEGORIES = [
  ['idle', (f, u) => f === '(idle)'],
  ['garbage collection', (f) => f === '(garbage collector)'],
  ['hashing (SHA-256)', (f, u) => u.startsWith('wasm://') || /verifier-sha256|verifier-blake3|hash-wasm|internal\/crypto/.test(u) || /digest|sha256/i.test(f)],
  ['storage-fs', (f, u) => u.includes('storage-fs')],
  ['transport (TCP/QUIC)', (f, u) => /transport-tcp|transport-quic/.test(u)],
  ['engine (core)', (f, u) => u.includes('/core/')],
  ['node sockets and streams', (f, u) => /^node:(net|stream|internal\/(stream|net|streams)|internal\/stream_base)/.test(u) || f === 'writeBuffer' || f === 'writev' || f === 'onStreamRead'],
  ['node fs', (f, u) => /^node:(fs|internal\/fs)/.test(u)],
  ['other JavaScript', (f, u) => u !== ''],
  ['native / runtime', () => true]
]

function categoryOf (functionName, url) {
  for (const [name, test] of CATEGORIES) if (test(functionName, url)) return name
  return 'native / runtime'
}

/**
 * Summarises a .cpuprofile: `{ totalMs, busyMs, categories: [{ name, ms, share }], functions:
 * [{ name, where, ms, share }] }`, shares of busy (non-idle) time, largest first.
 */
export function summariseProfile (profile, top = 8) {
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const self = new Map()
  const { samples = [], timeDeltas = [] } = profile
  for (let i = 0; i < samples.length; i++) {
    const dt = Math.max(0, timeDeltas[i + 1] ?? 0)
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt)
  }
  const parent = new Map()
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id)
  /** A native function (no script URL) counts in the category of the JavaScript that called it. */
  const caller = (id) => {
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
      const frame = byId.get(p).callFrame
      if (frame.url !== '') return frame
    }
    return undefined
  }
  const categories = new Map()
  const functions = new Map()
  let total = 0
  let idle = 0
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame
    const name = functionName || '(anonymous)'
    const from = url === '' && !name.startsWith('(') ? caller(id) : undefined
    const category = from === undefined ? categoryOf(name, url) : categoryOf(from.functionName, from.url)
    total += us
    if (category === 'idle') idle += us
    categories.set(category, (categories.get(category) ?? 0) + us)
    const at = from ?? { url, lineNumber, functionName: '' }
    const where = at.url === '' ? '' : `${from !== undefined ? `from ${from.functionName || '(anonymous)'} ` : ''}${at.url.replace(/^.*\/(packages|node_modules)\//, '')}:${at.lineNumber + 1}`
    const key = `${name} ${where}`
    const entry = functions.get(key) ?? { name, where, category, us: 0 }
    entry.us += us
    functions.set(key, entry)
  }
  const busy = Math.max(1, total - idle)
  return {
    totalMs: total / 1000,
    busyMs: (total - idle) / 1000,
    categories: [...categories].filter(([name]) => name !== 'idle').map(([name, us]) => ({ name, ms: us / 1000, share: us / busy })).sort((a, b) => b.ms - a.ms),
    functions: [...functions.values()].filter(f => f.category !== 'idle').sort((a, b) => b.us - a.us).slice(0, top).map(f => ({ name: f.name, where: f.where, category: f.category, ms: f.us / 1000, share: f.us / busy }))
  }
}

/** Lines describing a summary: categories, then the heaviest functions. */
export function formatProfile (summary, title) {
  const pct = (x) => `${(x * 100).toFixed(0)}%`.padStart(4)
  const lines = [`${title}: ${summary.busyMs.toFixed(0)} ms busy on the main thread of ${summary.totalMs.toFixed(0)} ms sampled`]
  for (const c of summary.categories.filter(c => c.share >= 0.01)) lines.push(`  ${pct(c.share)}  ${c.name}`)
  lines.push('  heaviest functions (self time):')
  for (const f of summary.functions) lines.push(`  ${pct(f.share)}  ${f.name}${f.where ? `  (${f.where})` : ''}`)
  return lines
}

/**
 * Starts V8's sampling profiler in this process (200 µs interval); `stop()` writes the profile of
 * what ran in between to `path` as a .cpuprofile.
 */
export async function startProfiler (path) {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
  await session.post('Profiler.start')
  return {
    async stop () {
      const { profile } = await session.post('Profiler.stop')
      writeFileSync(path, JSON.stringify(profile))
      session.disconnect()
    }
  }
}
