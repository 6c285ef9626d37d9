import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './cli-process.js'

// `codio-chunk demo` over each QUIC transport: every node listens on the transport named by
// --transport, the copies match, and the process exits 0 after stopping every node. Stopping
// QUIC nodes while streams were still open used to end the process now and then (an error from
// @matrixai/quic's stream processing during shutdown), so the quic demo runs several times.

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'codio-chunk-cli-demo-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

describe('codio-chunk demo over QUIC', () => {
  for (const [transport, runs] of [['quic', 4], ['quinn', 1]] as const) {
    it(`--transport ${transport}: peers fetch over it, copies match, the process exits cleanly (${runs} run${runs > 1 ? 's' : ''})`, async () => {
      for (let run = 0; run < runs; run++) {
        const result = await runCli(['demo', '--transport', transport, '--size', '4MiB', '--peers', '3'], { cwd: dir, timeout: 60_000 })
        expect(result.code, result.stderr).toBe(0)
        expect(result.stdout).toMatch(new RegExp(`listening on ${transport}://127\\.0\\.0\\.1:\\d+`))
        expect(result.stdout).toContain('all 3 copies byte-identical to the original: yes')
        expect(result.stderr).not.toMatch(/Error/)
      }
    }, 120_000)
  }
})
