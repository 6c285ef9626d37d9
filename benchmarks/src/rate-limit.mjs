#!/usr/bin/env node
// Rate limits: one node capped at `--cap` MiB/s (upload cap on the seeder, then download cap on
// the downloader) moves `cap × 5 s` of content over TCP on loopback; the achieved rate is compared
// with the cap. Target: within 10% over a 5-second transfer.
//
//   node src/rate-limit.mjs [--cap 16] [--seconds 5] [--runs 3] [--quick]
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { ChunkConfig, ChunkDistributor, memoryStorage } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { saveResults } from './results.mjs'
import { reportTargets, target } from './targets.mjs'

const { values } = parseArgs({ args: process.argv.slice(2).filter(a => a !== '--'), strict: false, options: { cap: { type: 'string', default: '16' }, seconds: { type: 'string', default: '5' }, runs: { type: 'string' }, quick: { type: 'boolean', default: false } } })
const MiB = 1024 * 1024
const cap = Number(values.cap) * MiB
const seconds = Number(values.seconds)
const runs = Number(values.runs ?? (values.quick ? 1 : 3))
if (!(cap > 0) || !(seconds > 0) || !(runs >= 1)) {
  process.stderr.write('usage: rate-limit.mjs [--cap MiB/s] [--seconds s] [--runs n] [--quick]\n')
  process.exit(2)
}

async function node (options) {
  return await ChunkDistributor.create(ChunkConfig.from(options), {
    transports: [tcpTransport()],
    verifier: sha256Verifier({ backend: 'node' }),
    storage: memoryStorage(),
    listen: ['tcp://127.0.0.1:0']
  })
}

/** Seconds to move `size` bytes from a seeder to a downloader with the given limits. */
async function transfer (seederOptions, downloaderOptions, content) {
  const seeder = await node(seederOptions)
  const downloader = await node(downloaderOptions)
  try {
    const cid = await seeder.storeContent(content)
    const started = performance.now()
    await downloader.download(cid, seeder.addresses)
    return (performance.now() - started) / 1000
  } finally {
    await Promise.all([seeder.stop(), downloader.stop()])
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const content = new Uint8Array(randomBytes(Math.round(cap * seconds)))
const rows = []
for (const [side, seederOptions, downloaderOptions] of [
  ['upload', { uploadLimit: cap }, {}],
  ['download', {}, { downloadLimit: cap }]
]) {
  const rates = []
  for (let i = 0; i < runs; i++) rates.push(content.length / await transfer(seederOptions, downloaderOptions, content))
  const rate = median(rates)
  rows.push({ limit: side, 'cap MiB/s': cap / MiB, 'achieved MiB/s': +(rate / MiB).toFixed(2), 'deviation %': +((100 * (rate - cap)) / cap).toFixed(1), runs })
}

console.log(`\nRate limits: ${(content.length / MiB).toFixed(0)} MiB at a ${cap / MiB} MiB/s cap (about ${seconds} s), TCP on loopback, median of ${runs}:`)
console.table(rows)
saveResults('rate-limit', { cap, seconds, runs, rows })
reportTargets('rate-limit', rows.map(r => target(`${r.limit} limit holds within 10% over ${seconds} s`, Math.abs(r['deviation %']), { atMost: 10, unit: '%' })))
