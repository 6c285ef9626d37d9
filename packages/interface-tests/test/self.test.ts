// The suites themselves, run against the smallest plugins that keep their contracts: a
// lowest-index strategy and a WebCrypto SHA-256 verifier. A suite that failed these would be
// asking for more than the contract says.
import { createHash } from 'node:crypto'
import { throwIfAborted } from '@codio-chunk/interface'
import { strategyComplianceSuite } from '../src/strategy.js'
import { verifierComplianceSuite } from '../src/verifier.js'
import type { AbortOptions, PickView, Strategy, Verifier } from '@codio-chunk/interface'

/** The lowest candidate at or after the position that the peer has, wrapping around. */
function lowestFirst (): Strategy {
  return {
    name: 'lowest-first',
    pick (view: PickView): number | undefined {
      for (const from of [view.position, 0]) {
        for (let i = view.candidates.nextFrom(from); i !== -1; i = view.candidates.nextFrom(i + 1)) {
          if (view.peer.has(i)) return i
        }
      }
      return undefined
    }
  }
}

/** SHA-256 through the platform's WebCrypto, one digest at a time. */
function webCryptoSha256 (): Verifier {
  const digest = async (bytes: Uint8Array): Promise<Uint8Array> => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return {
    name: 'sha2-256',
    code: 0x12,
    digestLength: 32,
    digest,
    async digestMany (inputs: readonly Uint8Array[], options?: AbortOptions): Promise<Uint8Array[]> {
      throwIfAborted(options?.signal, 'digest')
      return await Promise.all(inputs.map(digest))
    }
  }
}

strategyComplianceSuite('lowest-first (reference)', () => lowestFirst())
verifierComplianceSuite('WebCrypto SHA-256 (reference)', () => webCryptoSha256(), (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest()))
