// The interface, protocol, content, pieces and engine packages are meant to run in a browser as
// they are: no Node.js built-ins, no Buffer, no process. This bundles core (which re-exports all of
// them) for the browser platform, as a page's bundler would, and fails on any Node built-in the
// bundle would need.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { bundleForBrowser } from '@codio-chunk/interface-tests/browser-bundle'

const here = dirname(fileURLToPath(import.meta.url))

describe('browser-neutral packages', () => {
  it('bundle for the browser with no Node.js built-in', async () => {
    // Workspace packages resolve to their TypeScript sources, as in the tests.
    const { errors, forbiddenImports, code } = await bundleForBrowser({ file: join(here, '..', 'src', 'index.ts') })
    expect(errors).toEqual([])
    expect(forbiddenImports).toEqual([])
    expect(code.length).toBeGreaterThan(10_000)
    // Nothing reaches for Node's globals without checking they exist first.
    expect(code).not.toMatch(/\bprocess\.(env|nextTick|hrtime)\b/)
    expect(code).not.toMatch(/\bsetImmediate\(/)
  }, 60_000)
})
