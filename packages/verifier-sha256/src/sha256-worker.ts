import type { Sha256BackendName } from './backend.js'
import type { Sha256DigestInto, Sha256x4DriverOptions } from './sha256x4-driver.js'
import type { Sha256x4Kernel } from './sha256x4-kernel.js'
import type { WasmApi, WasmModule } from './wasm-api.js'

/** What a hashing worker is started with (its `workerData`). */
export interface Sha256WorkerData {
  /** The backend to hash with. */
  backend: Sha256BackendName
  /** The compiled SIMD kernel, for `wasm-simd`. */
  kernel?: WasmModule
  /** Absolute path of hash-wasm's CommonJS entry, for `hash-wasm` and the odd message of `wasm-simd`. */
  hashWasmPath?: string
}

/** A batch sent to a worker: views on SharedArrayBuffers, so nothing is copied on the way. */
export interface Sha256WorkerRequest {
  id: number
  inputs: Uint8Array[]
}

/** A worker's answer: the digests back to back (transferred, not copied), or what went wrong. */
export interface Sha256WorkerResponse {
  id: number
  digests?: Uint8Array
  error?: string
}

type DriverFactory = (kernel: Sha256x4Kernel, options?: Sha256x4DriverOptions) => Sha256DigestInto

/**
 * The body of a hashing worker thread. It is sent to the worker as source text together with
 * {@link createSha256x4Driver}, so, like that function, it refers to nothing outside its own body
 * and its arguments. It loads modules through `load`, the worker's `require` (passed in rather
 * than named here, because bundlers rewrite a free `require`).
 */
export function sha256WorkerMain (createDriver: DriverFactory, load: (id: string) => unknown): void {
  const threads = load('node:worker_threads') as typeof import('node:worker_threads')
  const port = threads.parentPort
  if (port === null) return
  const data = threads.workerData as Sha256WorkerData

  const start = async (): Promise<Sha256DigestInto> => {
    if (data.backend === 'node') {
      const crypto = load('node:crypto') as typeof import('node:crypto')
      return (inputs, out) => {
        for (let i = 0; i < inputs.length; i++) out.set(crypto.createHash('sha256').update(inputs[i]).digest(), 32 * i)
      }
    }
    const hashWasm = load(data.hashWasmPath ?? 'hash-wasm') as typeof import('hash-wasm')
    const hasher = await hashWasm.createSHA256()
    const single = (input: Uint8Array): Uint8Array => {
      hasher.init()
      hasher.update(input)
      return hasher.digest('binary')
    }
    if (data.backend === 'wasm-simd' && data.kernel !== undefined) {
      const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly as WasmApi
      const instance = new wasm.Instance(data.kernel, {})
      return createDriver(instance.exports as unknown as Sha256x4Kernel, { single })
    }
    return (inputs, out) => {
      for (let i = 0; i < inputs.length; i++) out.set(single(inputs[i]), 32 * i)
    }
  }

  const ready = start()
  port.on('message', (request: Sha256WorkerRequest) => {
    ready.then(digestInto => {
      const digests = new Uint8Array(32 * request.inputs.length)
      digestInto(request.inputs, digests)
      const response: Sha256WorkerResponse = { id: request.id, digests }
      port.postMessage(response, [digests.buffer])
    }).catch((err: unknown) => {
      const response: Sha256WorkerResponse = { id: request.id, error: err instanceof Error ? err.message : String(err) }
      port.postMessage(response)
    })
  })
}
