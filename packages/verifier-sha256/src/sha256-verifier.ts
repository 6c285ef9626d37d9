import { throwIfAborted, InvalidConfigError, UnsupportedHashError } from '@codio-chunk/core'
import type { AbortOptions, Verifier } from '@codio-chunk/core'
import { DEFAULT_BACKEND } from './backend.js'
import type { Sha256Backend, Sha256BackendName } from './backend.js'
import { loadHashWasmBackend } from './hash-wasm-backend.js'
import { loadNodeCryptoBackend } from './node-crypto-backend.js'

/** Options of {@link sha256Verifier}. */
export interface Sha256VerifierInit {
  /** Which SHA-256 implementation to use: `'hash-wasm'` (default) or `'node'` (`node:crypto`). */
  backend?: Sha256BackendName
}

const loaders: Record<Sha256BackendName, () => Promise<Sha256Backend>> = {
  'hash-wasm': loadHashWasmBackend,
  node: loadNodeCryptoBackend
}

/**
 * A SHA-256 {@link Verifier} (multihash `sha2-256`, code `0x12`, 32-byte digests).
 *
 * The backend is loaded lazily on first use. Until it has loaded, `digest()` returns a Promise;
 * once loaded, `digest()` returns the digest synchronously (the contract allows either, and callers
 * that `await` it work both ways). `digestMany()` always returns a Promise. Every returned digest
 * is a new buffer that the caller owns.
 *
 * @example
 * ```ts
 * import { sha256Verifier } from '@codio-chunk/verifier-sha256'
 * const verifier = sha256Verifier()
 * const digest = await verifier.digest(new TextEncoder().encode('abc'))
 * Buffer.from(digest).toString('hex') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 * const [a, b] = await verifier.digestMany([new Uint8Array(0), new Uint8Array(1)])
 * ```
 */
export function sha256Verifier (init: Sha256VerifierInit = {}): Verifier {
  const backendName = init.backend ?? DEFAULT_BACKEND
  const load = loaders[backendName]
  if (load === undefined) {
    throw new InvalidConfigError(`Unknown SHA-256 backend "${String(backendName)}": use one of ${Object.keys(loaders).join(', ')}`)
  }
  let backend: Sha256Backend | undefined
  let loading: Promise<Sha256Backend> | undefined

  const ready = async (): Promise<Sha256Backend> => {
    if (backend !== undefined) return backend
    loading ??= load().then(
      (loaded) => { backend = loaded; return loaded },
      (err: unknown) => {
        loading = undefined
        throw new UnsupportedHashError(`The ${backendName} SHA-256 backend could not be loaded (${backendName === 'node' ? 'this backend needs Node.js' : 'does this runtime support WebAssembly?'})`, { cause: err })
      }
    )
    return await loading
  }

  return {
    name: 'sha2-256',
    code: 0x12,
    digestLength: 32,

    digest (bytes: Uint8Array): Uint8Array | Promise<Uint8Array> {
      if (backend !== undefined) return backend.digest(bytes)
      return ready().then(loaded => loaded.digest(bytes))
    },

    async digestMany (inputs: readonly Uint8Array[], options?: AbortOptions): Promise<Uint8Array[]> {
      throwIfAborted(options?.signal, 'digest')
      if (inputs.length === 0) return []
      const loaded = await ready()
      throwIfAborted(options?.signal, 'digest')
      return loaded.digestMany(inputs)
    }
  }
}
