import { createHash } from 'node:crypto'
import type { Sha256Backend } from './backend.js'

/**
 * SHA-256 through Node's `node:crypto` (OpenSSL), which uses the CPU's SHA instructions where
 * it has them. Node.js only.
 *
 * @example
 * ```ts
 * import { sha256Verifier } from '@codio-chunk/verifier-sha256'
 * const verifier = sha256Verifier({ backend: 'node' })
 * ```
 */
export async function loadNodeCryptoBackend (): Promise<Sha256Backend> {
  const digest = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest())
  return {
    name: 'node',
    digest,
    digestMany: (inputs) => inputs.map(digest)
  }
}
