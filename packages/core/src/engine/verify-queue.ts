import { UnsupportedHashError } from '../errors.js'
import { digestEquals } from '../content/hasher.js'
import type { CID } from 'multiformats/cid'
import type { Verifier } from '../contracts/verifier.js'

interface Job {
  cid: CID
  block: Uint8Array
  resolve: (ok: boolean) => void
  reject: (err: Error) => void
}

/**
 * Verifies blocks against their CIDs in batches: blocks that arrive in the same turn of the event
 * loop are hashed with one `digestMany` call per hash algorithm, so multi-buffer and worker-pool
 * verifiers see several chunks at once.
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

  /** Resolves true if `block` hashes to `cid`. */
  async verify (cid: CID, block: Uint8Array): Promise<boolean> {
    return await new Promise<boolean>((resolve, reject) => {
      this.pending.push({ cid, block, resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => { this.flush() })
      }
    })
  }

  private flush (): void {
    this.scheduled = false
    const jobs = this.pending
    this.pending = []
    const byCode = new Map<number, Job[]>()
    for (const job of jobs) {
      const code = job.cid.multihash.code
      let list = byCode.get(code)
      if (list === undefined) byCode.set(code, list = [])
      list.push(job)
    }
    for (const [code, list] of byCode) {
      const verifier = this.verifiers.get(code)
      if (verifier === undefined) {
        for (const job of list) {
          job.reject(new UnsupportedHashError(`No verifier for multihash code 0x${code.toString(16)}`))
        }
        continue
      }
      const fail = (err: Error): void => { for (const job of list) job.reject(err) }
      let pending: Promise<Uint8Array[]>
      try {
        pending = Promise.resolve(verifier.digestMany(list.map(j => j.block)))
      } catch (err) {
        fail(new UnsupportedHashError(`Verifier ${verifier.name} failed: ${(err as Error).message}`, { cause: err }))
        continue
      }
      pending.then(digests => {
        if (!Array.isArray(digests) || digests.length !== list.length || !digests.every(d => d instanceof Uint8Array)) {
          fail(new UnsupportedHashError(`Verifier ${verifier.name} returned ${Array.isArray(digests) ? digests.length : 'no'} digests for ${list.length} inputs`))
          return
        }
        for (let i = 0; i < list.length; i++) list[i].resolve(digestEquals(digests[i], list[i].cid.multihash.digest))
      }, (err: Error) => { fail(err) })
    }
  }
}

