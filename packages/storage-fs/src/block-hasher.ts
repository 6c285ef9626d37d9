import { createHash } from 'node:crypto'
import { checkDigestLength, digestEquals } from '@codio-chunk/content'
import { BLAKE3_CODE, InvalidConfigError, SHA2_256_CODE, UnsupportedHashError } from '@codio-chunk/interface'
import type { ManifestBlock, Verifier } from '@codio-chunk/interface'

type CID = ManifestBlock['cid']

/** What to add for a hash no verifier was given for. */
const ADVICE: Record<number, string> = {
  [BLAKE3_CODE]: 'blake3Verifier() from @codio-chunk/verifier-blake3'
}

/**
 * Checks blocks read back from disk against their CIDs. Hashes with the node's verifier whose
 * `code` is the CID's multihash code (the `verifiers` component); with none for SHA-256, with
 * `node:crypto`, so a storage made outside a node still checks the default hash. Any other hash
 * without a verifier is refused with `UnsupportedHashError` saying what to add.
 *
 * @example
 * ```ts
 * const hasher = new BlockHasher([blake3Verifier()])
 * const [ok] = await hasher.matches([cid], [block], 'chunk 3 of bafy…')
 * ```
 */
export class BlockHasher {
  private readonly byCode = new Map<number, Verifier>()

  constructor (verifiers: readonly Verifier[] = []) {
    // The first verifier of a code wins, as in the engine.
    for (const verifier of verifiers) if (!this.byCode.has(verifier.code)) this.byCode.set(verifier.code, verifier)
  }

  /** True when blocks hashed with multihash `code` can be checked. */
  supports (code: number): boolean {
    return this.byCode.has(code) || code === SHA2_256_CODE
  }

  /**
   * For each block, whether it hashes to its CID: one `digestMany` call per hash function, so many
   * chunks cost one batch. `what` names the blocks in an `UnsupportedHashError`.
   */
  async matches (cids: readonly CID[], blocks: readonly Uint8Array[], what: string, signal?: AbortSignal): Promise<boolean[]> {
    const result: boolean[] = new Array(cids.length).fill(false)
    const byCode = new Map<number, number[]>()
    for (let i = 0; i < cids.length; i++) {
      const code = cids[i].multihash.code
      let group = byCode.get(code)
      if (group === undefined) byCode.set(code, group = [])
      group.push(i)
    }
    for (const [code, group] of byCode) {
      const digests = await this.digestMany(code, group.map(i => blocks[i]), what, signal)
      for (let k = 0; k < group.length; k++) result[group[k]] = digestEquals(digests[k], cids[group[k]].multihash.digest)
    }
    return result
  }

  private async digestMany (code: number, inputs: Uint8Array[], what: string, signal?: AbortSignal): Promise<Uint8Array[]> {
    const verifier = this.byCode.get(code)
    if (verifier !== undefined) {
      const digests = await verifier.digestMany(inputs, { signal })
      if (digests.length !== inputs.length) {
        throw new InvalidConfigError(`Verifier ${verifier.name} returned ${digests.length} digests for ${inputs.length} inputs; fix the verifier plugin`)
      }
      return digests.map(digest => checkDigestLength(verifier, digest))
    }
    if (code === SHA2_256_CODE) return inputs.map(input => createHash('sha256').update(input).digest())
    const add = ADVICE[code] ?? `a verifier whose code is 0x${code.toString(16)}`
    throw new UnsupportedHashError(`Cannot check ${what}: it is hashed with multihash 0x${code.toString(16)} and the storage has no verifier for it; give the node ${add} (or, outside a node, pass it as a component: fsStorage({ dir })(createComponents({ verifiers: [...] })))`)
  }
}
