// The "before" side of the QUIC benchmark: a copy of the installed @matrixai/quic 2.0.9 with this
// repository's patch (packages/transport-quic/patches/@matrixai__quic@2.0.9.patch) reversed by `git apply -R`, in a
// temporary folder, and a module hook that makes `@matrixai/quic` resolve to that copy. Both
// benchmark rows therefore run the same transport code on the same library version; only the
// patch differs.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const PATCH = join(root, 'packages', 'transport-quic', 'patches', '@matrixai__quic@2.0.9.patch')
const MARKER = 'Patch (codio-chunk)'

/** The folder of the installed (patched) @matrixai/quic, as the QUIC transport resolves it. */
function installedQuic () {
  const require = createRequire(join(root, 'packages', 'transport-quic', 'package.json'))
  return dirname(realpathSync(require.resolve('@matrixai/quic/package.json')))
}

/**
 * Prepares (once per patch version) the unpatched copy and returns its package folder. Throws if
 * the patch does not reverse cleanly or the copy still carries patched code.
 */
export function prepareUnpatchedQuic () {
  const patch = readFileSync(PATCH)
  const installed = installedQuic()
  const base = join(tmpdir(), `codio-chunk-quic-unpatched-${createHash('sha256').update(patch).update(installed).digest('hex').slice(0, 16)}`)
  const target = join(base, 'node_modules', '@matrixai', 'quic')
  if (existsSync(join(base, 'ready'))) return target
  rmSync(base, { recursive: true, force: true })
  mkdirSync(dirname(target), { recursive: true })
  cpSync(installed, target, { recursive: true })
  // The installed package's own dependencies sit beside it in pnpm's store: link them beside the copy.
  const siblings = join(installed, '..', '..')
  for (const entry of readdirSync(siblings)) {
    if (entry === '@matrixai') {
      for (const scoped of readdirSync(join(siblings, entry))) {
        if (scoped !== 'quic') symlinkSync(realpathSync(join(siblings, entry, scoped)), join(base, 'node_modules', entry, scoped))
      }
    } else if (!existsSync(join(base, 'node_modules', entry))) {
      symlinkSync(realpathSync(join(siblings, entry)), join(base, 'node_modules', entry))
    }
  }
  const result = spawnSync('git', ['apply', '-R', '--whitespace=nowarn', PATCH], { cwd: target, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`Could not reverse ${PATCH} in ${target}: ${result.stderr || result.error?.message}`)
  for (const file of readdirSync(join(target, 'dist'))) {
    if (file.endsWith('.js') && readFileSync(join(target, 'dist', file), 'utf8').includes(MARKER)) throw new Error(`${file} of the unpatched copy still contains patched code`)
  }
  if (!readFileSync(join(installed, 'dist', 'QUICConnection.js'), 'utf8').includes(MARKER)) throw new Error(`The installed @matrixai/quic (${installed}) is not patched: run pnpm install`)
  mkdirSync(join(base, 'ready'))
  return target
}

/** How to start a child process that loads the unpatched copy: node arguments and environment. */
export function unpatchedChild (target) {
  return {
    execArgv: ['--import', join(here, 'quic-unpatched-register.mjs')],
    env: { ...process.env, CODIO_CHUNK_QUIC_UNPATCHED: target }
  }
}
