// Targets of `pnpm bench`: each is printed with whether it is met and recorded in
// results/latest.json under its scenario (`targets`). Targets are reported, never asserted: the
// machine is shared and noisy, so a miss is information, not a failure.
import { readResults, updateResults } from './results.mjs'

/**
 * One target: `value` compared with `atLeast` or `atMost`. `value` undefined (not measured in
 * this run) reports "not measured" rather than a miss.
 *
 * @example
 * target('TCP, 256 MiB, 1 seeder', 640, { atLeast: 600, unit: 'MiB/s' })
 * // { name, value: 640, atLeast: 600, unit: 'MiB/s', met: true }
 */
export function target (name, value, { atLeast, atMost, unit = '', note } = {}) {
  if ((atLeast === undefined) === (atMost === undefined)) throw new TypeError(`target "${name}" needs exactly one of atLeast / atMost`)
  const measured = typeof value === 'number' && Number.isFinite(value)
  const met = !measured ? null : atLeast !== undefined ? value >= atLeast : value <= atMost
  return { name, value: measured ? value : null, ...(atLeast !== undefined ? { atLeast } : { atMost }), unit, met, ...(note !== undefined ? { note } : {}) }
}

/**
 * A target that is a yes/no fact (e.g. "rarest-first faster than random"), with the numbers that
 * decide it in `detail`.
 *
 * @example
 * check('rarest-first faster than random, N = 8', 9.1 < 11.4, '9.1 s vs 11.4 s')
 */
export function check (name, met, detail) {
  return { name, value: null, unit: '', met: typeof met === 'boolean' ? met : null, ...(detail !== undefined ? { note: detail } : {}) }
}

/**
 * The swarm-distribution targets for rows of `swarm-distribution.mjs` (`system`, `N`, `T s`,
 * `efficiency`, `seeder copies sent`): per N, efficiency at least 0.8 with rarest-first, for the
 * plain seeder (the default) and for a super-seeding seeder (`superSeed: true`), each with the
 * copies of the content the seeder sent; and rarest-first faster than random with a plain seeder.
 * (A super-seeding seeder decides which chunks each peer can fetch, so there the peers' strategy
 * barely matters: both rows are printed, and their order is noise, not a target.)
 * Rows this run did not measure are left out.
 *
 * @example
 * distributionTargets([{ system: 'codio-chunk rarest-first + super-seed', N: 32, 'T s': 9.6, efficiency: 0.83, 'seeder copies sent': 1.1 }], [32])
 * // [{ name: 'swarm efficiency, rarest-first, super-seeding seeder, N = 32', value: 0.83, atLeast: 0.8, met: true, note: 'seeder sent 1.10 copies' }]
 */
export function distributionTargets (rows, peerCounts, { quick = false } = {}) {
  const out = []
  const copies = (r) => `seeder sent ${r['seeder copies sent'].toFixed(2)} copies${quick ? '; quick run: small content' : ''}`
  for (const n of peerCounts) {
    const find = (system) => rows.find(r => r.N === n && r.system === system)
    const rarest = find('codio-chunk rarest-first')
    const rarestSuper = find('codio-chunk rarest-first + super-seed')
    const random = find('codio-chunk random')
    if (rarest !== undefined) out.push(target(`swarm efficiency, rarest-first, N = ${n}`, rarest.efficiency, { atLeast: 0.8, note: copies(rarest) }))
    if (rarestSuper !== undefined) out.push(target(`swarm efficiency, rarest-first, super-seeding seeder, N = ${n}`, rarestSuper.efficiency, { atLeast: 0.8, note: copies(rarestSuper) }))
    if (rarest !== undefined && random !== undefined) out.push(check(`rarest-first faster than random, N = ${n}`, rarest['T s'] < random['T s'], `${rarest['T s'].toFixed(2)} s vs ${random['T s'].toFixed(2)} s`))
  }
  return out
}

const fmt = (v) => Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)

/** One line for a target: `✔ met`, `✘ not met` or `· not measured`, the value and the threshold. */
export function formatTarget (t) {
  const mark = t.met === true ? '✔ met    ' : t.met === false ? '✘ not met' : '· not measured'
  const bound = t.atLeast !== undefined ? `≥ ${t.atLeast} ${t.unit}` : t.atMost !== undefined ? `≤ ${t.atMost} ${t.unit}` : ''
  const value = t.value === null ? '' : `: ${fmt(t.value)} ${t.unit}`.trimEnd()
  return `${mark}  ${t.name}${value}${bound ? ` (target ${bound.trim()})` : ''}${t.note ? `; ${t.note}` : ''}`
}

/**
 * Prints every target of a scenario and records them in results/latest.json under
 * `<scenario>.targets`, replacing targets of the same name. Returns the targets.
 *
 * @example
 * import { reportTargets, target } from './targets.mjs'
 * reportTargets('swarm', [target('TCP, 256 MiB, 1 seeder', 640, { atLeast: 600, unit: 'MiB/s' })])
 */
export function reportTargets (scenario, targets, { write = (line) => process.stdout.write(line + '\n'), save = true } = {}) {
  write('\nTargets:')
  for (const t of targets) write('  ' + formatTarget(t))
  if (save) {
    const previous = readResults()[scenario]?.targets ?? []
    const names = new Set(targets.map(t => t.name))
    updateResults(scenario, { targets: [...previous.filter(t => !names.has(t.name)), ...targets] })
  }
  return targets
}
