import { SHA256X4_WASM_BASE64 } from './generated/sha256x4-wasm.js'
import { wasmApi } from './wasm-api.js'
import type { WasmGlobal, WasmMemory, WasmModule } from './wasm-api.js'

/** The exports of the four-lane SIMD SHA-256 kernel (`wasm/sha256x4.wat`). */
export interface Sha256x4Kernel {
  /** The kernel's memory: states at 0, round constants at 128, schedule at 1152, free from `HEAP_BASE`. */
  readonly memory: WasmMemory
  /** The first byte of memory free for message blocks. */
  readonly HEAP_BASE: WasmGlobal
  /** Compresses `blocks` 64-byte blocks into each lane's state; lane `l` reads from address `pl`. */
  compress(p0: number, p1: number, p2: number, p3: number, blocks: number): void
}

let compiled: Promise<WasmModule | undefined> | undefined

/**
 * The kernel as WebAssembly bytes (decoded from the module embedded at build time).
 *
 * @example
 * ```ts
 * import { sha256x4WasmBytes } from '@codio-chunk/verifier-sha256'
 * WebAssembly.validate(sha256x4WasmBytes()) // false where WebAssembly SIMD is missing
 * ```
 */
export function sha256x4WasmBytes (): Uint8Array<ArrayBuffer> {
  const text = atob(SHA256X4_WASM_BASE64)
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes
}

/**
 * Compiles the kernel once per process. Resolves `undefined` where the runtime cannot run it
 * (no WebAssembly, or no 128-bit SIMD), so callers fall back to a scalar SHA-256.
 *
 * @example
 * ```ts
 * import { compileSha256x4 } from '@codio-chunk/verifier-sha256'
 * const module = await compileSha256x4()
 * console.log(module === undefined ? 'no WebAssembly SIMD here' : 'SIMD kernel ready')
 * ```
 */
export async function compileSha256x4 (): Promise<WasmModule | undefined> {
  compiled ??= (async () => {
    const wasm = wasmApi()
    if (wasm === undefined) return undefined
    const bytes = sha256x4WasmBytes()
    if (!wasm.validate(bytes)) return undefined
    return await wasm.compile(bytes)
  })().catch(() => undefined)
  return await compiled
}

/**
 * A fresh instance of the kernel (its own memory), or `undefined` without WebAssembly SIMD.
 * Most users want {@link sha256Verifier} `({ backend: 'wasm-simd' })` instead; this is the raw
 * kernel, driven by {@link createSha256x4Driver}.
 *
 * @example
 * ```ts
 * import { instantiateSha256x4, createSha256x4Driver } from '@codio-chunk/verifier-sha256'
 * const kernel = await instantiateSha256x4()
 * if (kernel !== undefined) {
 *   const digestInto = createSha256x4Driver(kernel)
 *   const out = new Uint8Array(2 * 32)
 *   digestInto([new Uint8Array(10), new Uint8Array(20)], out)
 * }
 * ```
 */
export async function instantiateSha256x4 (): Promise<Sha256x4Kernel | undefined> {
  const module = await compileSha256x4()
  const wasm = wasmApi()
  if (module === undefined || wasm === undefined) return undefined
  const instance = await wasm.instantiate(module, {})
  return instance.exports as unknown as Sha256x4Kernel
}
