// One codio-chunk swarm run for the swarm-distribution scenario: a seeder in this process and N
// peers spread over W worker processes (swarm-worker.mjs), every node's upload capped, all peers
// starting together. Measures the time until the last peer has the whole content.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ChunkConfig, ChunkDistributor, memoryStorage } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { cpuSeconds } from './stats.mjs'
import { countServedBySlot } from './served-by-slot.mjs'

const WORKER = fileURLToPath(new URL('./swarm-worker.mjs', import.meta.url))

/** A forked worker with a promise-based mailbox; every wait has a timeout. */
function startWorker (name) {
  const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  let stderr = ''
  child.stderr.on('data', (d) => { stderr = (stderr + d.toString()).slice(-2000) })
  const listeners = new Set()
  let failure
  const fail = (message) => {
    failure ??= new Error(`${name}: ${message}${stderr ? ` (${stderr.trim().split('\n').slice(-3).join(' | ')})` : ''}`)
    for (const l of listeners) l()
  }
  child.on('message', (m) => {
    if (m.type === 'error') fail(m.message)
    for (const l of listeners) l(m)
  })
  child.on('exit', (code) => { if (code !== 0) fail(`exited with ${code}`) })
  return {
    child,
    send (m) { child.connected && child.send(m) },
    /** Calls `onMessage` for every message until it returns true; rejects on a worker error or after `timeoutMs`. */
    async until (onMessage, timeoutMs, what) {
      if (failure !== undefined) throw failure
      let timer
      let listener
      try {
        await new Promise((resolve, reject) => {
          listener = (m) => {
            if (m === undefined) reject(failure)
            else if (onMessage(m)) resolve()
          }
          listeners.add(listener)
          timer = setTimeout(() => reject(new Error(`${name} gave no ${what} within ${timeoutMs / 1000} s`)), timeoutMs)
        })
      } finally {
        clearTimeout(timer)
        listeners.delete(listener)
      }
    },
    kill () { if (child.exitCode === null) child.kill('SIGKILL') }
  }
}

/**
 * Runs one swarm and resolves with `{ seconds, finish (per peer, seconds), workerCpuSeconds,
 * busiestWorkerCpuSeconds, seederCpuSeconds, seederUploadedBytes, peersUploadedBytes,
 * duplicatesBeforeFullCopy, fullCopySeconds, peerIds, workerFinish, details, seederServed }` (bytes sent up to the moment the last peer finished,
 * stopping included; duplicatesBeforeFullCopy: chunks the seeder sent again before it had sent every
 * chunk once, each delaying the swarm by a chunk's upload time; fullCopySeconds: when it had;
 * workerFinish: each peer's finish as its worker timed it, seconds; details: each peer's chunk
 * arrival times in seconds, on the same clock, and what it served to each peer id by slot;
 * seederServed: the same for the seeder).
 *
 * @param {object} o
 * @param {Uint8Array} o.content - the content the seeder publishes
 * @param {number} o.peers - N
 * @param {number} o.workers - worker processes hosting the peers
 * @param {string} o.strategy - rarest-first | random | sequential
 * @param {number} o.uploadLimit - bytes/s, for every node
 * @param {number} [o.seed] - base seed of the peers' strategies
 * @param {number} [o.timeoutMs]
 * @param {object} [o.config] - other ChunkConfig options for every node (e.g. `{ uploadSlots: 8 }`)
 * @param {(g: number) => { uploadLimit?: number, config?: object }} [o.peerOptions] - peer g's own
 *   settings over the common ones (e.g. a free-rider's upload cap)
 * @param {(g: number) => number[]} [o.dialOf] - the peers peer g dials (default: every peer before it)
 * @param {boolean} [o.detail] - record `details` and `seederServed` (empty otherwise)
 */
export async function runCodioSwarm ({ content, peers, workers, strategy, uploadLimit, seed = 1, timeoutMs = 600_000, config: options = {}, peerOptions = () => ({}), dialOf = (g) => Array.from({ length: g }, (_, i) => i), detail = false }) {
  const config = ChunkConfig.from({ ...options, uploadLimit })
  const seeder = await ChunkDistributor.create(config, { transports: [tcpTransport()], verifier: sha256Verifier(), storage: memoryStorage(), listen: ['tcp://127.0.0.1:0'] })
  const pool = []
  try {
    const cid = (await seeder.storeContent(content)).toString()
    const count = Math.min(workers, peers)
    // Peer g lives in worker g % count, as its local peer number floor(g / count).
    for (let w = 0; w < count; w++) pool.push(startWorker(`swarm worker ${w}`))
    const addresses = new Array(peers)
    const peerIds = new Array(peers)
    await Promise.all(pool.map(async (worker, w) => {
      const mine = Math.ceil((peers - w) / count)
      const nodes = Array.from({ length: mine }, (_, local) => peerOptions(local * count + w))
      worker.send({ type: 'init', count: mine, cid, strategy, uploadLimit, seed: seed + w * 1000, config: options, nodes, detail })
      await worker.until((m) => {
        if (m.type !== 'ready') return false
        m.addresses.forEach((a, local) => { addresses[local * count + w] = a })
        m.peerIds.forEach((id, local) => { peerIds[local * count + w] = id })
        return true
      }, 120_000, 'ready message')
    }))
    // Peer g downloads from the seeder and dials the peers dialOf(g) (by default each pair once).
    const dial = (g) => dialOf(g).map(i => addresses[i])
    const finish = new Array(peers)
    const workerFinish = new Array(peers)
    // The seeder holds the whole content: everything it serves counts as seeding.
    const seederServed = detail ? countServedBySlot(seeder, () => true) : () => ({})
    const seederCpu = process.cpuUsage()
    const started = performance.now()
    // The seeder's sends, to tell duplicates that delayed the first full copy from harmless later ones.
    const chunkCount = Math.max(1, Math.ceil(content.length / config.chunkSize))
    const sends = new Uint16Array(chunkCount)
    let distinct = 0
    let duplicatesBeforeFullCopy = 0
    let fullCopySeconds = NaN
    const offServed = seeder.events.on('chunk:served', ({ index }) => {
      if (sends[index]++ === 0) {
        if (++distinct === chunkCount) fullCopySeconds = (performance.now() - started) / 1000
      } else if (distinct < chunkCount) duplicatesBeforeFullCopy++
    })
    await Promise.all(pool.map(async (worker, w) => {
      const mine = Math.ceil((peers - w) / count)
      let done = 0
      const finished = worker.until((m) => {
        if (m.type !== 'done') return false
        finish[m.local * count + w] = (performance.now() - started) / 1000
        workerFinish[m.local * count + w] = m.ms / 1000
        return ++done === mine
      }, timeoutMs, `finish of its ${mine} peers`)
      worker.send({ type: 'go', timeoutMs, seeder: seeder.addresses[0], dial: Array.from({ length: mine }, (_, local) => dial(local * count + w)) })
      await finished
    }))
    const seconds = Math.max(...finish)
    offServed()
    const seederCpuSeconds = cpuSeconds(seederCpu)
    const seederUploadedBytes = seeder.peerStats().reduce((s, p) => s + p.bytesSent, 0)
    const workerCpu = []
    let peersUploadedBytes = 0
    const details = new Array(peers)
    await Promise.all(pool.map(async (worker, w) => {
      worker.send({ type: 'stop' })
      await worker.until((m) => {
        if (m.type !== 'stopped') return false
        workerCpu.push(m.cpuSeconds)
        peersUploadedBytes += m.uploadedBytes
        m.details.forEach((d, local) => { details[local * count + w] = { arrivals: d.arrivals.map(ms => ms / 1000), served: d.served } })
        return true
      }, 30_000, 'stop')
    }))
    const workerCpuSeconds = workerCpu.reduce((a, b) => a + b, 0)
    return { seconds, finish, workerCpuSeconds, busiestWorkerCpuSeconds: Math.max(...workerCpu), seederCpuSeconds, seederUploadedBytes, peersUploadedBytes, duplicatesBeforeFullCopy, fullCopySeconds, peerIds, workerFinish, details, seederServed: seederServed() }
  } finally {
    for (const worker of pool) worker.kill()
    await seeder.stop()
  }
}
