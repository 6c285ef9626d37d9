import { AbortError, abortError } from '@codio-chunk/interface'
import type { Worker } from 'node:worker_threads'
import type { Sha256BackendName } from './backend.js'
import { createSha256x4Driver } from './sha256x4-driver.js'
import { sha256WorkerMain } from './sha256-worker.js'
import type { Sha256WorkerData, Sha256WorkerRequest, Sha256WorkerResponse } from './sha256-worker.js'
import type { WasmModule } from './wasm-api.js'

/** Options of {@link createSha256WorkerPool}. */
export interface Sha256WorkerPoolInit {
  /** Worker threads to start (at least 1). */
  size: number
  /** The backend every worker hashes with. */
  backend: Sha256BackendName
  /** The compiled SIMD kernel, needed for `wasm-simd`. */
  kernel?: WasmModule
  /** Hashes on the calling thread: used when the queue is full, after `close()` and when a worker fails. */
  fallback: (inputs: readonly Uint8Array[]) => Uint8Array[]
  /** Batches waiting for a worker; further batches are hashed by `fallback` meanwhile. Default 64. */
  maxQueued?: number
}

/** Inputs per batch sent to one worker: four SIMD calls' worth. */
const MAX_JOB_INPUTS = 16
/** A batch whose copy would need more shared memory than this is hashed on the calling thread. */
const MAX_ARENA_BYTES = 64 * 1024 * 1024

interface Job {
  readonly inputs: readonly Uint8Array[]
  readonly resolve: (digests: Uint8Array[]) => void
  readonly reject: (err: Error) => void
  done: boolean
}

interface Slot {
  readonly worker: Worker
  /** Shared memory the inputs of this worker's batch are copied into; reused batch after batch. */
  arena: SharedArrayBuffer
  job?: Job
  jobId: number
  alive: boolean
}

/**
 * Hashes batches on worker threads so the event loop keeps moving bytes meanwhile. A batch is split
 * into jobs of at most 16 inputs spread over the workers; each worker has one job at a time. Inputs
 * are copied once into a SharedArrayBuffer that the worker reads in place (inputs already backed by
 * a SharedArrayBuffer are not copied at all), and digests come back as a transferred buffer.
 * Idle workers do not keep the process alive.
 */
export interface Sha256WorkerPool {
  /** The digests of `inputs`, in order. Rejects with AbortError when `signal` fires or the pool closes first. */
  digestMany(inputs: readonly Uint8Array[], signal?: AbortSignal): Promise<Uint8Array[]>
  /** Cancels queued batches (AbortError) and stops the workers. Later calls hash on the calling thread. */
  close(): Promise<void>
}

let workerSource: string | undefined

/**
 * Starts a pool of SHA-256 worker threads (Node.js `worker_threads`).
 *
 * @example
 * ```ts
 * import { createSha256WorkerPool, loadNodeCryptoBackend } from '@codio-chunk/verifier-sha256'
 * const main = await loadNodeCryptoBackend()
 * const pool = await createSha256WorkerPool({ size: 2, backend: 'node', fallback: main.digestMany })
 * const digests = await pool.digestMany([new Uint8Array(256 * 1024), new Uint8Array(256 * 1024)])
 * await pool.close()
 * ```
 */
export async function createSha256WorkerPool (init: Sha256WorkerPoolInit): Promise<Sha256WorkerPool> {
  const { Worker } = await import('node:worker_threads')
  const { createRequire } = await import('node:module')
  workerSource ??= `'use strict';\nconst createSha256x4Driver = ${createSha256x4Driver.toString()};\n(${sha256WorkerMain.toString()})(createSha256x4Driver, require);\n`
  let hashWasmPath: string | undefined
  try { hashWasmPath = createRequire(import.meta.url).resolve('hash-wasm') } catch {}
  const workerData: Sha256WorkerData = { backend: init.backend, kernel: init.kernel, hashWasmPath }
  const fallback = init.fallback
  const maxQueued = init.maxQueued ?? 64
  const queue: Job[] = []
  const slots: Slot[] = []
  let closed = false
  let nextId = 0

  const runHere = (job: Job): void => {
    if (job.done) return
    job.done = true
    try {
      job.resolve(fallback(job.inputs))
    } catch (err) {
      job.reject(err as Error)
    }
  }

  /** Sends `job` to an idle worker; false if the job was too big to copy and was hashed here instead. */
  const send = (slot: Slot, job: Job): boolean => {
    let need = 0
    for (const input of job.inputs) if (!(input.buffer instanceof SharedArrayBuffer)) need += input.length
    if (need > MAX_ARENA_BYTES) { runHere(job); return false }
    if (slot.arena.byteLength < need) slot.arena = new SharedArrayBuffer(2 ** Math.ceil(Math.log2(need)))
    const arena = new Uint8Array(slot.arena)
    let at = 0
    const inputs = job.inputs.map(input => {
      if (input.buffer instanceof SharedArrayBuffer) return input
      arena.set(input, at)
      at += input.length
      return arena.subarray(at - input.length, at)
    })
    slot.job = job
    slot.jobId = ++nextId
    slot.worker.ref()
    const request: Sha256WorkerRequest = { id: slot.jobId, inputs }
    slot.worker.postMessage(request)
    return true
  }

  const dispatch = (): void => {
    for (const slot of slots) {
      while (slot.alive && slot.job === undefined) {
        const job = queue.shift()
        if (job === undefined) return
        if (!job.done) send(slot, job)
      }
    }
    if (!slots.some(slot => slot.alive)) queue.splice(0).forEach(runHere)
  }

  const finish = (slot: Slot, response?: Sha256WorkerResponse): void => {
    const job = slot.job
    slot.job = undefined
    if (slot.alive) slot.worker.unref()
    if (job !== undefined && !job.done) {
      if (response?.digests instanceof Uint8Array && response.digests.length === 32 * job.inputs.length) {
        job.done = true
        const digests = response.digests
        job.resolve(job.inputs.map((_, i) => digests.subarray(32 * i, 32 * i + 32)))
      } else {
        runHere(job) // the worker failed: hash here rather than fail a download for a local fault
      }
    }
    if (!closed) dispatch()
  }

  for (let i = 0; i < init.size; i++) {
    const worker = new Worker(workerSource, { eval: true, workerData })
    const slot: Slot = { worker, arena: new SharedArrayBuffer(1024 * 1024), jobId: 0, alive: true }
    worker.unref()
    worker.on('message', (response: Sha256WorkerResponse) => {
      if (response.id === slot.jobId && slot.job !== undefined) finish(slot, response)
    })
    const fail = (): void => {
      if (!slot.alive) return
      slot.alive = false
      finish(slot)
    }
    worker.on('error', fail)
    worker.on('exit', fail)
    slots.push(slot)
  }

  return {
    async digestMany (inputs: readonly Uint8Array[], signal?: AbortSignal): Promise<Uint8Array[]> {
      if (closed) return fallback(inputs)
      const live = Math.max(1, slots.filter(slot => slot.alive).length)
      const per = Math.min(MAX_JOB_INPUTS, 4 * Math.ceil(inputs.length / live / 4))
      const jobs: Job[] = []
      const parts: Array<Promise<Uint8Array[]>> = []
      for (let from = 0; from < inputs.length; from += per) {
        parts.push(new Promise<Uint8Array[]>((resolve, reject) => {
          const job: Job = { inputs: inputs.slice(from, from + per), resolve, reject, done: false }
          jobs.push(job)
          if (queue.length < maxQueued) queue.push(job)
          else runHere(job)
        }))
      }
      const onAbort = (): void => {
        for (const job of jobs) {
          if (job.done) continue
          job.done = true
          job.reject(abortError(signal as AbortSignal, 'digest'))
        }
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      dispatch()
      try {
        return (await Promise.all(parts)).flat()
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    },

    async close (): Promise<void> {
      if (closed) return
      closed = true
      const cancelled = [...queue.splice(0), ...slots.map(slot => slot.job)]
      for (const job of cancelled) {
        if (job === undefined || job.done) continue
        job.done = true
        job.reject(new AbortError('The SHA-256 digest was cancelled because the verifier was closed'))
      }
      await Promise.all(slots.map(async slot => {
        slot.alive = false
        await slot.worker.terminate()
      }))
    }
  }
}
