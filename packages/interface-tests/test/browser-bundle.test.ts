// bundleForBrowser reports what a browser bundle must not import, and a clean module as clean.
import { describe, expect, it } from 'vitest'
import { bundleForBrowser } from '../src/browser-bundle.js'

describe('bundleForBrowser', () => {
  it('names each Node.js built-in and forbidden module the bundle imports, with the importer', async () => {
    const bundle = await bundleForBrowser({ contents: 'import { readFile } from "node:fs/promises"; import "crypto"; import "ws"; export { readFile }', resolveDir: process.cwd() }, { forbidden: ['ws'] })
    expect(bundle.errors).toEqual([])
    expect(bundle.forbiddenImports).toEqual(['node:fs/promises (imported by <stdin>)', 'crypto (imported by <stdin>)', 'ws (imported by <stdin>)'])
  })

  it('passes a module that needs nothing of Node.js, and returns its code and inputs', async () => {
    const bundle = await bundleForBrowser({ contents: 'export const answer = new TextEncoder().encode("42")', resolveDir: process.cwd() })
    expect(bundle).toMatchObject({ errors: [], forbiddenImports: [] })
    expect(bundle.code).toContain('TextEncoder')
    expect(bundle.inputs).toEqual(['<stdin>'])
  })

  it('returns esbuild\'s errors instead of throwing when the entry does not resolve', async () => {
    const bundle = await bundleForBrowser({ contents: 'export * from "./no-such-module.js"', resolveDir: process.cwd() })
    expect(bundle.errors.join('\n')).toMatch(/no-such-module/)
    expect(bundle.code).toBe('')
  })
})
