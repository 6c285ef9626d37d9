import type { Sha256AsyncBackend } from './backend.js'

interface SubtleDigest {
  digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>
}

/** The runtime's `crypto.subtle`, or undefined (insecure browser contexts have none). */
function subtle (): SubtleDigest | undefined {
  const crypto = (globalThis as unknown as { crypto?: { subtle?: SubtleDigest } }).crypto
  return typeof crypto?.subtle?.digest === 'function' ? crypto.subtle : undefined
}

/**
 * SHA-256 through Web Crypto (`crypto.subtle.digest`): native code in browsers (and Node.js), but
 * asynchronous, so each digest is a Promise. `digestMany` starts every digest at once and awaits
 * them together (`Promise.all`), so the per-call overhead overlaps. Needs a secure context
 * (https or localhost) in browsers.
 *
 * @example
 * ```ts
 * import { loadWebCryptoBackend } from '@codio-chunk/verifier-sha256'
 * const backend = await loadWebCryptoBackend()
 * const [a, b] = await backend.digestMany([new Uint8Array(256 * 1024), new Uint8Array(10)])
 * ```
 */
export async function loadWebCryptoBackend (): Promise<Sha256AsyncBackend> {
  const api = subtle()
  if (api === undefined) throw new Error('crypto.subtle is not available (browsers offer it only in secure contexts: https or localhost)')
  const digest = async (bytes: Uint8Array): Promise<Uint8Array> => {
    // Web Crypto refuses views of shared memory.
    const input = bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice()
    return new Uint8Array(await api.digest('SHA-256', input))
  }
  return {
    name: 'webcrypto',
    async: true,
    digest,
    async digestMany (inputs: readonly Uint8Array[]): Promise<Uint8Array[]> {
      return await Promise.all(inputs.map(digest))
    }
  }
}
