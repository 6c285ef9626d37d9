import type { Options } from 'tsup'

/**
 * Shared tsup settings: every package ships ES modules with declarations.
 * Node 20.19+ and 22.12+ can `require()` these modules, so no separate CJS build is needed
 * (several dependencies, such as multiformats and the IPFS libraries, are ESM-only anyway).
 */
export function packageBuild(entry: Record<string, string> | string[] = ['src/index.ts'], extra: Options = {}): Options {
  return {
    entry,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    ...extra
  }
}
