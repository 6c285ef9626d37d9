import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import initWabt from 'wabt'
import { describe, expect, it } from 'vitest'
import { sha256x4WasmBytes } from '../src/index.js'

/** The WebAssembly API, typed locally (the project compiles without the DOM library). */
const wasm = (globalThis as unknown as {
  WebAssembly: {
    validate: (bytes: Uint8Array) => boolean
    compile: (bytes: Uint8Array) => Promise<object>
    Module: { exports: (module: object) => Array<{ name: string }>, imports: (module: object) => unknown[] }
  }
}).WebAssembly

describe('the generated kernel module', () => {
  it('is the WAT source assembled (run `pnpm build` after editing wasm/sha256x4.wat)', async () => {
    const wat = readFileSync(fileURLToPath(new URL('../wasm/sha256x4.wat', import.meta.url)), 'utf8')
    const wabt = await initWabt()
    const module = wabt.parseWat('sha256x4.wat', wat, { simd: true })
    module.validate()
    const assembled = module.toBinary({}).buffer
    module.destroy()
    expect(Buffer.from(sha256x4WasmBytes()).equals(Buffer.from(assembled))).toBe(true)
  })

  it('is valid WebAssembly with SIMD, exporting memory, HEAP_BASE and compress', async () => {
    const bytes = sha256x4WasmBytes()
    expect(wasm.validate(bytes)).toBe(true)
    const module = await wasm.compile(bytes)
    expect(wasm.Module.exports(module).map(e => e.name).sort()).toEqual(['HEAP_BASE', 'compress', 'memory'])
    expect(wasm.Module.imports(module)).toEqual([])
  })
})
