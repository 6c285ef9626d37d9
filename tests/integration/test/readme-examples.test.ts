// Runs every code block marked `<!-- example -->` in the READMEs, so the documentation never
// shows an example that does not work. Each block runs as a module with console output captured.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it, vi } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const scratch = join(dirname(fileURLToPath(import.meta.url)), '..', '.readme-examples')

function readmes (): string[] {
  const files = [join(root, 'README.md')]
  for (const name of readdirSync(join(root, 'packages'))) {
    const file = join(root, 'packages', name, 'README.md')
    if (existsSync(file)) files.push(file)
  }
  return files
}

function examples (file: string): string[] {
  const out: string[] = []
  const pattern = /<!-- example -->\s*\n```(?:ts|typescript)\n([\s\S]*?)\n```/g
  for (const match of readFileSync(file, 'utf8').matchAll(pattern)) out.push(match[1])
  return out
}

mkdirSync(scratch, { recursive: true })
afterAll(() => { rmSync(scratch, { recursive: true, force: true }) })

describe('README examples', () => {
  for (const file of readmes()) {
    examples(file).forEach((code, n) => {
      const name = `${relative(root, file)} example ${n + 1}`
      it(`${name} runs`, async () => {
        const module = join(scratch, `${relative(root, file).replace(/[^a-z0-9]+/gi, '-')}-${n + 1}.ts`)
        writeFileSync(module, code)
        const lines: unknown[][] = []
        const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { lines.push(args) })
        try {
          await import(module)
        } finally {
          log.mockRestore()
        }
        expect(lines.length).toBeGreaterThan(0)
      })
    })
  }

  it('finds the examples', () => {
    expect(readmes().reduce((n, f) => n + examples(f).length, 0)).toBeGreaterThanOrEqual(2)
  })
})
