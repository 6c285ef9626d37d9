import { throwIfAborted, InvalidConfigError, UnsupportedHashError } from '@codio-chunk/interface'
import type { AbortOptions, Verifier } from '@codio-chunk/interface'
import { DEFAULT_BACKEND } from './backend.js'
import type { AnySha256Backend, Sha256Backend, Sha256BackendName, Sha256BackendOption } from './backend.js'
import { measureSha256Backends } from './measure.js'
import type { Sha256Measurement } from './measure.js'
import type { Sha256WorkerPool } from './sha256-worker-pool.js'

/** Options of `sha256Verifier`. */
export interface Sha256VerifierInit {
  /**
   * The SHA-256 implementation: `'auto'` (default: `'node'` on Node.js, `'fastest'` elsewhere),
   * `'fastest'` (whichever of the SIMD kernel, hash-wasm and Web Crypto a short measurement finds
   * fastest here), `'wasm-simd'` (four-lane WebAssembly SIMD, hash-wasm where SIMD is missing),
   * `'hash-wasm'` or `'wasm'` (portable WebAssembly), `'webcrypto'` (`crypto.subtle.digest`),
   * `'node'` (`node:crypto`).
   */
  backend?: Sha256BackendOption
  /** Worker threads that `digestMany` hashes on (Node.js only); default 0, the calling thread. */
  workers?: number
  /** With workers, batches smaller than this many bytes are hashed on the calling thread; default 64 KiB. */
  workerMinBytes?: number
  /** With workers, batches that may wait for a free worker; more are hashed on the calling thread. Default 64. */
  maxQueuedBatches?: number
}

/** Which backend a verifier runs on, and why. */
export interface Sha256Selection {
  /** The backend in use. */
  readonly backend: Sha256BackendName
  /** The speeds measured to choose it (`'fastest'`, and `'auto'` outside Node.js), fastest first; empty when none were. */
  readonly measured: readonly Sha256Measurement[]
}

/** A SHA-256 {@link Verifier} that also says which backend it runs on. */
export interface Sha256Verifier extends Verifier {
  /** The backend in use once loaded: `'auto'` and `'fastest'` resolved, and `'wasm-simd'` without SIMD reported as `'hash-wasm'`. */
  backend(): Promise<Sha256BackendName>
  /** The backend in use and the measurements it was chosen by. */
  selection(): Promise<Sha256Selection>
}

/** What differs between the Node.js and the browser build. */
export interface VerifierPlatform {
  /** The backends this build can load. */
  loaders: Partial<Record<Sha256BackendName, () => Promise<AnySha256Backend>>>
  /** What `'auto'` means here. */
  auto: 'node' | 'fastest'
  /** Starts worker threads, where the build has them. */
  startPool?: (backend: Sha256Backend, size: number, maxQueued: number) => Promise<Sha256WorkerPool | undefined>
}

/** The backends `'fastest'` chooses from, in the order they are measured. */
const PORTABLE: readonly Sha256BackendName[] = ['wasm-simd', 'hash-wasm', 'webcrypto']

const NAMES = 'auto, fastest, wasm-simd, wasm, hash-wasm, webcrypto, node'

/** The verifier behind both builds' `sha256Verifier`. */
export function createSha256Verifier (init: Sha256VerifierInit, platform: VerifierPlatform): Sha256Verifier {
  const option = init.backend ?? DEFAULT_BACKEND
  const wanted = option === 'auto' ? platform.auto : option === 'wasm' ? 'hash-wasm' : option
  if (wanted !== 'fastest' && !PORTABLE.includes(wanted) && wanted !== 'node') {
    throw new InvalidConfigError(`Unknown SHA-256 backend "${String(option)}": use one of ${NAMES}`)
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
  let backend: AnySha256Backend | undefined
  let measured: readonly Sha256Measurement[] = []
  let loading: Promise<AnySha256Backend> | undefined
  let pool: Promise<Sha256WorkerPool | undefined> | undefined
  let closed = false

  const loadOne = async (name: Sha256BackendName): Promise<AnySha256Backend> => {
    const loader = platform.loaders[name]
    if (loader === undefined) throw new Error(`the ${name} backend is not part of this build (it needs Node.js)`)
    return await loader()
  }

  const choose = async (): Promise<AnySha256Backend> => {
    if (wanted !== 'fastest') return await loadOne(wanted)
    const loaded = (await Promise.all(PORTABLE.map(async (name) => await loadOne(name).catch(() => undefined))))
      .filter((b): b is AnySha256Backend => b !== undefined)
    if (loaded.length === 0) throw new Error('none of wasm-simd, hash-wasm and webcrypto could be loaded')
    measured = await measureSha256Backends(loaded)
    return loaded.find(b => b.name === measured[0].backend) as AnySha256Backend
  }

  const startPool = (loaded: Sha256Backend): Promise<Sha256WorkerPool | undefined> =>
    platform.startPool === undefined ? Promise.resolve(undefined) : platform.startPool(loaded, workers, maxQueued).catch(() => undefined)

  const ready = async (): Promise<AnySha256Backend> => {
    if (backend !== undefined) return backend
    loading ??= choose().then(
      (loaded) => {
        backend = loaded
        // Workers start with the backend (on first use), so they are up when the first chunks arrive.
        if (workers > 0 && !closed && loaded.async !== true) pool ??= startPool(loaded)
        return loaded
      },
      (err: unknown) => {
        loading = undefined
        throw new UnsupportedHashError(`The ${wanted} SHA-256 backend could not be loaded (${(err as Error)?.message ?? 'does this runtime support WebAssembly?'})`, { cause: err })
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

    async selection (): Promise<Sha256Selection> {
      const loaded = await ready()
      return { backend: loaded.name, measured }
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
      if (loaded.async === true) return await loaded.digestMany(inputs)
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
