import { throwIfAborted, InvalidConfigError, UnsupportedHashError } from '@codio-chunk/interface'
import type { AbortOptions, Verifier } from '@codio-chunk/interface'
import { DEFAULT_BACKEND } from './backend.js'
import type { Sha256Backend, Sha256BackendName, Sha256BackendOption } from './backend.js'
import { loadHashWasmBackend } from './hash-wasm-backend.js'
import { loadNodeCryptoBackend } from './node-crypto-backend.js'
import { loadWasmSimdBackend } from './wasm-simd-backend.js'
import { compileSha256x4 } from './sha256x4-kernel.js'
import { createSha256WorkerPool } from './sha256-worker-pool.js'
import type { Sha256WorkerPool } from './sha256-worker-pool.js'

/** Options of {@link sha256Verifier}. */
export interface Sha256VerifierInit {
  /**
   * The SHA-256 implementation: `'auto'` (default, the fastest available), `'wasm-simd'` (four-lane
   * WebAssembly SIMD, hash-wasm where SIMD is missing), `'hash-wasm'` or `'wasm'` (portable
   * WebAssembly), `'node'` (`node:crypto`).
   */
  backend?: Sha256BackendOption
  /** Worker threads that `digestMany` hashes on (Node.js only); default 0, the calling thread. */
  workers?: number
  /** With workers, batches smaller than this many bytes are hashed on the calling thread; default 64 KiB. */
  workerMinBytes?: number
  /** With workers, batches that may wait for a free worker; more are hashed on the calling thread. Default 64. */
  maxQueuedBatches?: number
}

/** A SHA-256 {@link Verifier} that also says which backend it runs on. */
export interface Sha256Verifier extends Verifier {
  /** The backend in use once loaded: `'auto'` resolved, and `'wasm-simd'` without SIMD reported as `'hash-wasm'`. */
  backend(): Promise<Sha256BackendName>
}

/**
 * What `'auto'` picks, decided by `pnpm bench -- --only hashing` on the project's 2-core AMD EPYC
 * (Zen 4, with SHA extensions) test machine, Node 20, one thread, median of 3 rounds, two runs:
 * 256 KiB chunks: node:crypto 1,794–1,809 MB/s, the SIMD kernel 782–812 MB/s in batches of 4 or
 * 16, hash-wasm 298–341 MB/s; 1 MiB chunks: 1,771–1,800, 588–788 and 280–336 MB/s. OpenSSL uses
 * the CPU's SHA instructions (x86 SHA-NI, Armv8 SHA-2), which recent server CPUs have, so on
 * Node `'auto'` is `'node'`; elsewhere (browsers, other runtimes) it is the SIMD kernel, which
 * falls back to hash-wasm without WebAssembly SIMD.
 */
const autoBackend = (): Sha256BackendName =>
  typeof process === 'object' && typeof process.versions?.node === 'string' ? 'node' : 'wasm-simd'

const loaders: Record<Sha256BackendName, () => Promise<Sha256Backend>> = {
  'hash-wasm': loadHashWasmBackend,
  'wasm-simd': loadWasmSimdBackend,
  node: loadNodeCryptoBackend
}

const resolveBackend = (option: Sha256BackendOption): Sha256BackendName | undefined => {
  if (option === 'auto') return autoBackend()
  if (option === 'wasm') return 'hash-wasm'
  return Object.hasOwn(loaders, option) ? option : undefined
}

/**
 * A SHA-256 {@link Verifier} (multihash `sha2-256`, code `0x12`, 32-byte digests).
 *
 * The backend is loaded lazily on first use. Until it has loaded, `digest()` returns a Promise;
 * once loaded, `digest()` returns the digest synchronously (the contract allows either, and callers
 * that `await` it work both ways). `digestMany()` always returns a Promise; with `workers`, it hashes
 * on worker threads. `close()` stops the workers (later calls hash on the calling thread). Every
 * returned digest is a buffer of its own that the caller may keep or change.
 *
 * @example
 * ```ts
 * import { sha256Verifier } from '@codio-chunk/verifier-sha256'
 * const verifier = sha256Verifier({ backend: 'wasm-simd', workers: 1 })
 * const digest = await verifier.digest(new TextEncoder().encode('abc'))
 * Buffer.from(digest).toString('hex') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 * const [a, b] = await verifier.digestMany([new Uint8Array(0), new Uint8Array(1)])
 * await verifier.close?.()
 * ```
 */
export function sha256Verifier (init: Sha256VerifierInit = {}): Sha256Verifier {
  const option = init.backend ?? DEFAULT_BACKEND
  const backendName = resolveBackend(option)
  if (backendName === undefined) {
    throw new InvalidConfigError(`Unknown SHA-256 backend "${String(option)}": use one of auto, wasm-simd, wasm, hash-wasm, node`)
  }
  const workers = init.workers ?? 0
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
    throw new InvalidConfigError(`workers must be an integer from 0 to 64, got ${String(workers)}`)
  }
  const workerMinBytes = init.workerMinBytes ?? 64 * 1024
  const maxQueued = init.maxQueuedBatches ?? 64
  if (!(workerMinBytes >= 0) || !Number.isInteger(maxQueued) || maxQueued < 0) {
    throw new InvalidConfigError('workerMinBytes must be a number >= 0 and maxQueuedBatches an integer >= 0')
  }
  const load = loaders[backendName]
  let backend: Sha256Backend | undefined
  let loading: Promise<Sha256Backend> | undefined
  let pool: Promise<Sha256WorkerPool | undefined> | undefined
  let closed = false

  // Where worker threads cannot start (no node:worker_threads), batches stay on the calling thread.
  const startPool = async (loaded: Sha256Backend): Promise<Sha256WorkerPool | undefined> => {
    try {
      const kernel = loaded.name === 'wasm-simd' ? await compileSha256x4() : undefined
      return await createSha256WorkerPool({ size: workers, backend: loaded.name, kernel, fallback: loaded.digestMany, maxQueued })
    } catch {
      return undefined
    }
  }

  const ready = async (): Promise<Sha256Backend> => {
    if (backend !== undefined) return backend
    loading ??= load().then(
      (loaded) => {
        backend = loaded
        // Workers start with the backend (on first use), so they are up when the first chunks arrive.
        if (workers > 0 && !closed) pool ??= startPool(loaded)
        return loaded
      },
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

    async backend (): Promise<Sha256BackendName> {
      return (await ready()).name
    },

    digest (bytes: Uint8Array): Uint8Array | Promise<Uint8Array> {
      if (backend !== undefined) return backend.digest(bytes)
      return ready().then(loaded => loaded.digest(bytes))
    },

    async digestMany (inputs: readonly Uint8Array[], options?: AbortOptions): Promise<Uint8Array[]> {
      throwIfAborted(options?.signal, 'digest')
      if (inputs.length === 0) return []
      const loaded = await ready()
      throwIfAborted(options?.signal, 'digest')
      if (workers === 0 || closed) return loaded.digestMany(inputs)
      let bytes = 0
      for (const input of inputs) bytes += input.length
      if (bytes < workerMinBytes) return loaded.digestMany(inputs)
      pool ??= startPool(loaded)
      const running = await pool
      return running === undefined ? loaded.digestMany(inputs) : await running.digestMany(inputs, options?.signal)
    },

    async close (): Promise<void> {
      closed = true
      const running = pool
      pool = undefined
      await (await running)?.close()
    }
  }
}
