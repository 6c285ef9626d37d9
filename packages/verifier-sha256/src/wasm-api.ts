/**
 * The parts of the WebAssembly JavaScript API this package uses, typed here because the project
 * compiles without the DOM library that declares them.
 */

/** A compiled `WebAssembly.Module` (can be posted to worker threads). */
export type WasmModule = object

/** A `WebAssembly.Memory`. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}

/** A `WebAssembly.Global` holding an i32. */
export interface WasmGlobal {
  readonly value: number
}

/** The `WebAssembly` namespace object. */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean
  compile(bytes: Uint8Array): Promise<WasmModule>
  instantiate(module: WasmModule, imports: object): Promise<{ readonly exports: object }>
  Instance: new (module: WasmModule, imports: object) => { readonly exports: object }
}

/** The runtime's `WebAssembly` namespace, or undefined where there is none. */
export function wasmApi (): WasmApi | undefined {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly
  return typeof api === 'object' ? api : undefined
}
