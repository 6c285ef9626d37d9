// pnpm bench (scenario "transport"): one connection on loopback fetching 256 KiB chunks, with 4
// requests in flight, over each transport: TCP, then QUIC with the @matrixai/quic patch and QUIC
// without it (the same library version with packages/transport-quic/patches/@matrixai__quic@2.0.9.patch reversed, see
// quic-unpatched.mjs), then quinn through the Transport contract and the quinn native binding
// driven directly (what the binding moves with no codio-chunk code). Server and client run in
// processes of their own. Prints MB/s (10^6 bytes per
// second; median of several runs) and CPU per MB of each side, and writes results/transport-latest.json.
// Options: --transports tcp,quic,quinn (default all), --runs N (3), --mib N (cap per run, 256),
// --seconds N (cap per run, 8), --chunk KiB (256), --in-flight N (4), --datagram bytes (1350),
// --no-unpatched (skip the "before" row), --no-raw (skip the raw quinn binding row).
import { fork } from 'node:child_process'
import { createInterface } from 'node:readline'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { prepareUnpatchedQuic, unpatchedChild } from './quic-unpatched.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  args: process.argv.slice(2).filter(a => a !== '--'),
  strict: false,
  options: {
    transports: { type: 'string', default: 'tcp,quic,quinn' },
    runs: { type: 'string', default: '3' },
    mib: { type: 'string', default: '256' },
    seconds: { type: 'string', default: '8' },
    chunk: { type: 'string', default: '256' },
    'in-flight': { type: 'string', default: '4' },
    datagram: { type: 'string', default: '1350' },
    'no-unpatched': { type: 'boolean', default: false },
    'no-raw': { type: 'boolean', default: false }
  }
})
const runs = Number(values.runs)
const transports = values.transports.split(',')
const datagram = Number(values.datagram)

const variants = []
if (transports.includes('tcp')) variants.push({ name: 'tcp', kind: 'tcp', child: {} })
if (transports.includes('quic')) {
  variants.push({ name: 'quic, patched @matrixai/quic (after)', kind: 'quic', child: {} })
  if (!values['no-unpatched']) variants.push({ name: 'quic, unpatched @matrixai/quic (before)', kind: 'quic', child: unpatchedChild(prepareUnpatchedQuic()) })
}
if (transports.includes('quinn')) {
  variants.push({ name: 'quinn (Transport contract)', kind: 'quinn', child: {} })
  if (!values['no-raw']) variants.push({ name: 'quinn native binding, no codio-chunk code', kind: 'quinn-raw', child: {} })
}

function start (variant, args) {
  const child = fork(join(here, 'transport-peer.mjs'), args, { stdio: ['pipe', 'pipe', 'inherit', 'ipc'], ...variant.child })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return { child, next: async () => JSON.parse((await lines.next()).value) }
}

async function runOnce (variant) {
  const server = start(variant, ['server', variant.kind, values.chunk, String(datagram)])
  const { address } = await server.next()
  const client = start(variant, ['client', variant.kind, address, String(datagram), values['in-flight'], values.mib, values.seconds])
  const result = await client.next()
  server.child.stdin.write('stop\n')
  const { cpuSeconds: serverCpu } = await server.next()
  const mb = result.bytes / 1e6
  return { mbPerSecond: mb / result.seconds, clientCpuMsPerMB: 1000 * result.cpuSeconds / mb, serverCpuMsPerMB: 1000 * serverCpu / mb, mb }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rows = []
for (const variant of variants) {
  const results = []
  for (let r = 0; r < runs; r++) results.push(await runOnce(variant))
  const row = {
    transport: variant.name,
    'MB/s': median(results.map(r => r.mbPerSecond)),
    'MB/s of each run': results.map(r => Number(r.mbPerSecond.toFixed(1))).join(' '),
    'client CPU ms/MB': median(results.map(r => r.clientCpuMsPerMB)),
    'server CPU ms/MB': median(results.map(r => r.serverCpuMsPerMB)),
    'MB per run': median(results.map(r => r.mb))
  }
  rows.push(row)
  console.log(`${variant.name}: ${row['MB/s'].toFixed(1)} MB/s (median of ${runs})`)
}
console.log(`\nOne connection on loopback, ${values.chunk} KiB chunks, ${values['in-flight']} requests in flight, QUIC (@matrixai/quic) datagrams of ${datagram} bytes; server and client in processes of their own; each run stops at ${values.mib} MiB or ${values.seconds} s:`)
console.table(rows.map(r => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(k === 'MB/s' ? 1 : 2)) : v]))))
mkdirSync(join(here, '..', 'results'), { recursive: true })
writeFileSync(join(here, '..', 'results', 'transport-latest.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, chunkKiB: Number(values.chunk), inFlight: Number(values['in-flight']), datagram, runs, rows }, null, 2) + '\n')
