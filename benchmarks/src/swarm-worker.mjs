// Child process of the swarm-distribution scenario (forked, IPC messages): hosts some of the
// swarm's peers. Messages in:
//   { type: 'init', count, cid, strategy, uploadLimit, seed, config?, nodes? } → creates `count` nodes listening on
//     loopback, each upload-capped, answers { type: 'ready', addresses, peerIds }; `nodes[i]`
//     ({ uploadLimit?, config? }) overrides the settings of node i (e.g. a free-rider's upload cap);
//     with `detail: true` each node records when its chunks arrive and what it serves to whom
//   { type: 'go', seeder, dial: string[][] } → every node starts downloading from the seeder at
//     once and dials its list of other peers at the same time (so the manifest is always asked of
//     the seeder first); answers { type: 'done', local, ms } per node as it finishes
//   { type: 'stop' } → stops the nodes, answers { type: 'stopped', cpuSeconds, uploadedBytes, details } and
//     exits; details[i]: node i's chunk arrival times (ms since go) and what it served to each peer
//     (countServedBySlot)
// Any failure answers { type: 'error', message }.
import { ChunkConfig, ChunkDistributor, memoryStorage } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
import { randomOrder } from '@codio-chunk/strategy-random'
import { sequential } from '@codio-chunk/strategy-sequential'
import { cpuSeconds } from './stats.mjs'
import { countServedBySlot } from './served-by-slot.mjs'

/** Strategy factories by the names the scenario uses. */
const STRATEGIES = { 'rarest-first': () => rarestFirst(), random: () => randomOrder(), sequential: () => sequential() }

const send = (message) => { process.send?.(message) }
let nodes = []
let details = []
let started = 0
let cid
let seed = 1
let cpuStart = process.cpuUsage()

async function init (message) {
  const make = STRATEGIES[message.strategy]
  if (make === undefined) throw new Error(`unknown strategy ${message.strategy}`)
  cid = message.cid
  seed = message.seed
  for (let i = 0; i < message.count; i++) {
    const own = message.nodes?.[i] ?? {}
    const config = ChunkConfig.from({ ...message.config, ...own.config, strategy: make(), uploadLimit: own.uploadLimit ?? message.uploadLimit })
    const node = await ChunkDistributor.create(config, { transports: [tcpTransport()], verifier: sha256Verifier(), storage: memoryStorage(), listen: ['tcp://127.0.0.1:0'] })
    const detail = { arrivals: [], done: false, served: () => ({}) }
    if (message.detail === true) {
      node.events.on('chunk:verified', () => { detail.arrivals.push(performance.now() - started) })
      detail.served = countServedBySlot(node, () => detail.done)
    }
    nodes.push(node)
    details.push(detail)
  }
  cpuStart = process.cpuUsage()
  send({ type: 'ready', addresses: nodes.map(n => n.addresses[0]), peerIds: nodes.map(n => n.peerId) })
}

function go (message) {
  started = performance.now()
  nodes.forEach((node, local) => {
    for (const address of message.dial[local]) node.connect(address, { signal: AbortSignal.timeout(30_000) }).catch(() => {})
    node.download(cid, [message.seeder], { seed: seed + local, signal: AbortSignal.timeout(message.timeoutMs ?? 600_000) })
      .then(() => {
        details[local].done = true
        send({ type: 'done', local, ms: performance.now() - started })
      })
      .catch((err) => { send({ type: 'error', message: `peer ${local}: ${err.message}` }) })
  })
}

async function stop () {
  const cpu = cpuSeconds(cpuStart)
  const uploadedBytes = nodes.reduce((sum, n) => sum + n.peerStats().reduce((s, p) => s + p.bytesSent, 0), 0)
  await Promise.allSettled(nodes.map(async n => { await n.stop() }))
  nodes = []
  send({ type: 'stopped', cpuSeconds: cpu, uploadedBytes, details: details.map(d => ({ arrivals: d.arrivals, served: d.served() })) })
  process.disconnect?.()
}

process.on('message', (message) => {
  const run = message.type === 'init' ? init : message.type === 'go' ? go : message.type === 'stop' ? stop : undefined
  if (run === undefined) return
  Promise.resolve().then(() => run(message)).catch((err) => { send({ type: 'error', message: err.message }) })
})
process.on('disconnect', () => { process.exit(0) })
