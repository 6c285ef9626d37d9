#!/usr/bin/env node
// Discovery on a DHT on loopback: `--nodes` plain bittorrent-dht nodes (100 by default) bootstrapped
// from the first, and codio-chunk nodes with dhtDiscovery() joining through it. Measured:
//   - announce cost per content: time of one provide and the DHT queries it sent (counted on the
//     plain nodes as they receive them), over `--contents` contents;
//   - from `get` to the first provider (findProviders' first record) and to the first verified
//     chunk (download with no providers), each with a fresh downloader node, `--runs` times;
//   - memory per DHT node: heap after a full collection, for plain nodes and for started
//     discoveries.
// Nothing leaves the machine: every node binds 127.0.0.1 and no public router is named.
//
//   node src/discovery.mjs [--nodes 100] [--contents 20] [--runs 10] [--quick]
import { createPublicKey, randomBytes, verify } from 'node:crypto'
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import DHT from 'bittorrent-dht'
import { ChunkConfig, ChunkDistributor, PeerIdentity, createComponents, memoryStorage } from '@codio-chunk/core'
import { dhtDiscovery } from '@codio-chunk/discovery-dht'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { saveResults } from './results.mjs'
import { reportTargets, target } from './targets.mjs'

const { values } = parseArgs({
  args: process.argv.slice(2).filter(a => a !== '--'),
  strict: false,
  options: { nodes: { type: 'string' }, contents: { type: 'string' }, runs: { type: 'string' }, quick: { type: 'boolean', default: false } }
})
const NODES = Number(values.nodes ?? 100)
const CONTENTS = Number(values.contents ?? (values.quick ? 5 : 20))
const RUNS = Number(values.runs ?? (values.quick ? 3 : 10))
if (!(NODES >= 2) || !(CONTENTS >= 1) || !(RUNS >= 1)) {
  process.stderr.write('usage: discovery.mjs [--nodes n ≥ 2] [--contents n] [--runs n] [--quick]\n')
  process.exit(2)
}
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc')
const say = (line) => process.stdout.write(line + '\n')
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))]

function verifyEd25519 (signature, message, publicKey) {
  try {
    const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]), format: 'der', type: 'spki' })
    return verify(null, message, key, signature)
  } catch {
    return false
  }
}

async function listen (node) {
  node.on('error', () => {})
  node.on('warning', () => {})
  await new Promise(resolve => { node.listen(0, '127.0.0.1', resolve) })
}

/** Heap used after a full collection. */
function heap () {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

// 1. The DHT: plain nodes, their memory, and a query counter on each.
const heapBefore = heap()
const plain = []
let queries = 0
const first = new DHT({ bootstrap: false, verify: verifyEd25519 })
plain.push(first)
await listen(first)
const bootstrap = [`127.0.0.1:${first.address().port}`]
for (let i = 1; i < NODES; i++) {
  const node = new DHT({ bootstrap, verify: verifyEd25519 })
  plain.push(node)
  await listen(node)
}
const deadline = Date.now() + 60_000
while (plain.some(n => n.nodes.count() < 8)) {
  if (Date.now() > deadline) throw new Error('the loopback DHT did not fill within 60 s')
  await Promise.all(plain.filter(n => n.nodes.count() < 8).map(n => new Promise(resolve => { n.lookup(randomBytes(20), resolve) })))
}
for (const node of plain) node._rpc.on('query', () => { queries++ })
const plainNodeBytes = (heap() - heapBefore) / NODES
say(`DHT of ${NODES} plain nodes on loopback; routing tables ${Math.min(...plain.map(n => n.nodes.count()))}–${Math.max(...plain.map(n => n.nodes.count()))} contacts`)

async function codioNode (listenOn) {
  return await ChunkDistributor.create(ChunkConfig.from({ chunkSize: 256 * 1024 }), {
    transports: [tcpTransport()],
    verifier: sha256Verifier({ backend: 'node' }),
    storage: memoryStorage(),
    listen: listenOn,
    discovery: [dhtDiscovery({ bootstrap, host: '127.0.0.1' })]
  })
}

// 2. Announce cost: the seeder provides CONTENTS contents one after another.
const seeder = await codioNode(['tcp://127.0.0.1:0'])
const announceMs = []
const announceQueries = []
const cids = []
for (let i = 0; i < CONTENTS; i++) {
  const content = new Uint8Array(randomBytes(1024 * 1024))
  const before = queries
  const t0 = performance.now()
  cids.push(await seeder.storeContent(content))
  await seeder.announced()
  announceMs.push(performance.now() - t0)
  announceQueries.push(queries - before)
}
say(`announce: ${median(announceMs).toFixed(1)} ms median (p90 ${p90(announceMs).toFixed(1)} ms) per content, ${median(announceQueries)} DHT queries received by the DHT's nodes per announce (median)`)

// 3. From `get` to the first provider and to the first verified chunk, each run a fresh downloader.
const firstProviderMs = []
const firstChunkMs = []
const completeMs = []
for (let run = 0; run < RUNS; run++) {
  const cid = cids[run % cids.length]
  const finder = await codioNode([])
  try {
    const t0 = performance.now()
    for await (const record of finder.findProviders(cid, { signal: AbortSignal.timeout(30_000) })) {
      if (record.peerId === seeder.peerId) { firstProviderMs.push(performance.now() - t0); break }
    }
  } finally {
    await finder.stop()
  }
  const downloader = await codioNode([])
  try {
    const t0 = performance.now()
    let firstChunk
    downloader.events.on('chunk:verified', () => { firstChunk ??= performance.now() - t0 })
    await downloader.download(cid, [], { signal: AbortSignal.timeout(60_000) })
    firstChunkMs.push(firstChunk)
    completeMs.push(performance.now() - t0)
  } finally {
    await downloader.stop()
  }
}
say(`get → first provider: ${median(firstProviderMs).toFixed(1)} ms median (p90 ${p90(firstProviderMs).toFixed(1)} ms) over ${firstProviderMs.length} runs`)
say(`get → first verified chunk: ${median(firstChunkMs).toFixed(1)} ms median (p90 ${p90(firstChunkMs).toFixed(1)} ms); whole 1 MiB content ${median(completeMs).toFixed(1)} ms`)

// 4. Memory of a started DHT discovery (outside a node): 20 of them, heap after collection.
const before = heap()
const discoveries = []
for (let i = 0; i < 20; i++) {
  const d = dhtDiscovery({ bootstrap, host: '127.0.0.1' })(createComponents({ identity: PeerIdentity.generate(), addresses: () => [] }))
  await d.start()
  discoveries.push(d)
}
const discoveryBytes = (heap() - before) / discoveries.length
await Promise.all(discoveries.map(d => d.stop()))
say(`memory per DHT node (heap after collection): plain bittorrent-dht ${(plainNodeBytes / 1024).toFixed(0)} KiB, started dhtDiscovery ${(discoveryBytes / 1024).toFixed(0)} KiB`)

await seeder.stop()
await Promise.all(plain.map(n => new Promise(resolve => { n.destroy(resolve) })))

const results = {
  nodes: NODES,
  contents: CONTENTS,
  runs: RUNS,
  announceMsMedian: median(announceMs),
  announceMsP90: p90(announceMs),
  announceQueriesMedian: median(announceQueries),
  firstProviderMsMedian: median(firstProviderMs),
  firstProviderMsP90: p90(firstProviderMs),
  firstChunkMsMedian: median(firstChunkMs),
  firstChunkMsP90: p90(firstChunkMs),
  completeMsMedian: median(completeMs),
  plainNodeKiB: plainNodeBytes / 1024,
  discoveryKiB: discoveryBytes / 1024
}
const targets = [
  target(`get → first provider, ${NODES}-node loopback DHT (median)`, results.firstProviderMsMedian, { atMost: 1000, unit: 'ms' }),
  target(`get → first verified chunk, ${NODES}-node loopback DHT (median)`, results.firstChunkMsMedian, { atMost: 2000, unit: 'ms' }),
  target('memory per started DHT discovery', results.discoveryKiB, { atMost: 1024, unit: 'KiB' })
]
saveResults('discovery', results)
reportTargets('discovery', targets)
