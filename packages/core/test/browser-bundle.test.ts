// The interface, protocol, content, pieces and engine packages are meant to run in a browser as
// they are: no Node.js built-ins, no Buffer, no process. This bundles core (which re-exports all of
// them) for the browser platform, as a page's bundler would, and fails on any Node built-in the
// bundle would need.
import { builtinModules } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const builtins = new Set(builtinModules.flatMap(name => [name, `node:${name}`]))

/** Records every import of a Node built-in, with the file that made it. */
function nodeBuiltinsWatcher (found: string[]): Plugin {
  return {
    name: 'node-builtins',
    setup (b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (builtins.has(args.path) || args.path.startsWith('node:')) {
          found.push(`${args.path} (imported by ${args.importer})`)
          return { path: args.path, external: true }
        }
        return undefined
      })
    }
  }
}

describe('browser-neutral packages', () => {
  it('bundle for the browser with no Node.js built-in', async () => {
    const found: string[] = []
    const result = await build({
      entryPoints: [join(here, '..', 'src', 'index.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      // Workspace packages resolve to their TypeScript sources, as in the tests.
      conditions: ['@codio-chunk/source', 'browser', 'import', 'default'],
      logLevel: 'silent',
      plugins: [nodeBuiltinsWatcher(found)]
    })
    expect(result.errors).toEqual([])
    expect(found).toEqual([])
    const code = result.outputFiles[0].text
    expect(code.length).toBeGreaterThan(10_000)
    // Nothing reaches for Node's globals without checking they exist first.
    expect(code).not.toMatch(/\bprocess\.(env|nextTick|hrtime)\b/)
    expect(code).not.toMatch(/\bsetImmediate\(/)
  }, 60_000)
})
