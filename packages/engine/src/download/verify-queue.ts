import { UnsupportedHashError } from '@codio-chunk/interface'
import { digestEquals } from '@codio-chunk/content'
import type { CID } from 'multiformats/cid'
import type { Verifier } from '@codio-chunk/interface'
import { nextTurn } from '../util/timers.js'

/** Called once with the result of a check: `ok` (the block hashes to the CID), or the local error. */
export type VerifyDone = (ok: boolean, error?: Error) => void

interface Job {
  readonly cid: CID
  readonly block: Uint8Array
  readonly done: VerifyDone
}

/**
 * Verifies blocks against their CIDs in batches: blocks that arrive in the same turn of the event
 * loop are hashed with one `digestMany` call per hash algorithm, so multi-buffer and worker-pool
 * verifiers see several chunks at once. One queue serves the whole node, so chunks of every
 * download and every peer are batched together.
 *
 * @example
 * ```ts
 * const queue = new VerifyQueue([sha256Verifier()])
 * queue.check(manifest.chunkCid(0), block, (ok, error) => { ... })
 * const ok = await queue.verify(manifest.chunkCid(1), otherBlock)
 * ```
 */
export class VerifyQueue {
  private readonly verifiers: Map<number, Verifier>
  private pending: Job[] = []
  private scheduled = false

  constructor (verifiers: readonly Verifier[]) {
    this.verifiers = new Map(verifiers.map(v => [v.code, v]))
  }

  /** The verifier for a multihash code, or undefined. */
  verifierFor (code: number): Verifier | undefined {
    return this.verifiers.get(code)
  }

  /** Throws UnsupportedHashError if no verifier handles this CID's hash. */
  assertSupported (cid: CID): void {
    if (!this.verifiers.has(cid.multihash.code)) {
      const known = [...this.verifiers.values()].map(v => v.name).join(', ')
      throw new UnsupportedHashError(`Content ${cid.toString()} is hashed with multihash code 0x${cid.multihash.code.toString(16)}, which no configured verifier handles (configured: ${known}); add a verifier plugin for it`)
    }
  }

  /**
   * Queues `block` to be checked against `cid`; `done` is called once, asynchronously, with
   * whether it matches, or with an error if the verifier failed (a local problem, not the peer's).
   * `done` must not throw.
   */
  check (cid: CID, block: Uint8Array, done: VerifyDone): void {
    this.pending.push({ cid, block, done })
    if (!this.scheduled) {
      this.scheduled = true
      nextTurn(this.flush)
    }
  }

  /** Resolves true if `block` hashes to `cid`; rejects if the verifier fails. */
  async verify (cid: CID, block: Uint8Array): Promise<boolean> {
    return await new Promise<boolean>((resolve, reject) => {
      this.check(cid, block, (ok, error) => { if (error !== undefined) reject(error); else resolve(ok) })
    })
  }

  private readonly flush = (): void => {
    this.scheduled = false
    const jobs = this.pending
    this.pending = []
    // Nearly always every block uses one hash: then the batch goes out as it is.
    const code = jobs[0].cid.multihash.code
    let mixed = false
    for (let i = 1; i < jobs.length; i++) if (jobs[i].cid.multihash.code !== code) { mixed = true; break }
    if (!mixed) {
      this.run(code, jobs)
      return
    }
    const byCode = new Map<number, Job[]>()
    for (const job of jobs) {
      const c = job.cid.multihash.code
      let list = byCode.get(c)
      if (list === undefined) byCode.set(c, list = [])
      list.push(job)
    }
    for (const [c, list] of byCode) this.run(c, list)
  }

  /** Hashes one batch of blocks of the same hash algorithm and reports each result. */
  private run (code: number, jobs: Job[]): void {
    const verifier = this.verifiers.get(code)
    const fail = (err: Error): void => { for (const job of jobs) report(job, false, err) }
    if (verifier === undefined) {
      fail(new UnsupportedHashError(`No verifier for multihash code 0x${code.toString(16)}`))
      return
    }
    const blocks = new Array<Uint8Array>(jobs.length)
    for (let i = 0; i < jobs.length; i++) blocks[i] = jobs[i].block
    let digesting: Promise<Uint8Array[]>
    try {
      digesting = Promise.resolve(verifier.digestMany(blocks))
    } catch (err) {
      fail(new UnsupportedHashError(`Verifier ${verifier.name} failed: ${(err as Error)?.message}`, { cause: err }))
      return
    }
    digesting.then(digests => {
      if (!Array.isArray(digests) || digests.length !== jobs.length || !digests.every(d => d instanceof Uint8Array)) {
        fail(new UnsupportedHashError(`Verifier ${verifier.name} returned ${Array.isArray(digests) ? digests.length : 'no'} digests for ${jobs.length} inputs`))
        return
      }
      for (let i = 0; i < jobs.length; i++) report(jobs[i], digestEquals(digests[i], jobs[i].cid.multihash.digest))
    }, (err: unknown) => { fail(err instanceof Error ? err : new UnsupportedHashError(`Verifier ${verifier.name} failed: ${String(err)}`)) })
  }
}

/** Calls a job's callback; one that throws (it must not) cannot keep the others from their results. */
function report (job: Job, ok: boolean, error?: Error): void {
  try {
    job.done(ok, error)
  } catch {}
}
