import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The worker source is assembled from functions at run time (`Function.prototype.toString`), so the
// bundled `dist/` must be checked as users get it, not only the TypeScript sources. nx builds this
// package before its tests (package.json `nx.targets.test.dependsOn`).
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))

const script = `
import { createHash, randomBytes } from 'node:crypto'
import { sha256Verifier } from ${JSON.stringify(dist)}
const results = {}
for (const backend of ['node', 'wasm-simd', 'hash-wasm']) {
  const verifier = sha256Verifier({ backend, workers: 2, workerMinBytes: 0 })
  const inputs = [randomBytes(256 * 1024), new Uint8Array(0), ...Array.from({ length: 9 }, (_, i) => randomBytes(64 * 1024 + i))]
  const digests = await verifier.digestMany(inputs)
  results[backend] = digests.every((d, i) => Buffer.from(d).equals(createHash('sha256').update(inputs[i]).digest())) && digests.length === inputs.length
  await verifier.close()
}
process.stdout.write(JSON.stringify(results))
`

describe('the built package', () => {
  it('hashes on worker threads with every backend, digests equal to node:crypto', async () => {
    expect(existsSync(dist), `${dist} is missing: build the package first (nx does this before its tests)`).toBe(true)
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 }, (err, out, errOut) => {
        if (err !== null) reject(new Error(`${err.message}\n${errOut}`))
        else resolve(out)
      })
    })
    expect(JSON.parse(stdout)).toEqual({ node: true, 'wasm-simd': true, 'hash-wasm': true })
  }, 40_000)
})
