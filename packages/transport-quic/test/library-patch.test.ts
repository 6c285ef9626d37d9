import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { QUIC_LIBRARY_VERSION, quicLibraryPatchPath, quicLibraryPatched } from '../src/index.js'

const libraryDir = dirname(createRequire(import.meta.url).resolve('@matrixai/quic/package.json'))

describe('the @matrixai/quic patch', () => {
  it('is applied in this workspace, and detected', () => {
    expect(quicLibraryPatched()).toBe(true)
  })

  it('ships in the package, for the exact library version the package depends on', () => {
    const path = quicLibraryPatchPath()
    expect(existsSync(path)).toBe(true)
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { files: string[], dependencies: Record<string, string> }
    expect(manifest.files).toContain('patches')
    expect(manifest.dependencies['@matrixai/quic']).toBe(QUIC_LIBRARY_VERSION)
    expect(JSON.parse(readFileSync(join(libraryDir, 'package.json'), 'utf8')).version).toBe(QUIC_LIBRARY_VERSION)
  })

  it('is exactly the difference between the published library and the installed one', () => {
    const copy = mkdtempSync(join(tmpdir(), 'quic-patch-'))
    try {
      cpSync(join(libraryDir, 'dist'), join(copy, 'dist'), { recursive: true })
      // Reversing the patch on the installed (patched) files must succeed (git apply allows no fuzz);
      // then applying it again must reproduce the installed files byte for byte.
      execFileSync('git', ['apply', '-R', quicLibraryPatchPath()], { cwd: copy, stdio: 'pipe' })
      const client = readFileSync(join(copy, 'dist', 'QUICClient.js'), 'utf8')
      expect(client).not.toContain('packetSender')
      execFileSync('git', ['apply', quicLibraryPatchPath()], { cwd: copy, stdio: 'pipe' })
      for (const file of ['QUICClient.js', 'QUICConnection.js', 'QUICServer.js', 'QUICSocket.js', 'QUICStream.js', 'config.js']) {
        expect(readFileSync(join(copy, 'dist', file), 'utf8')).toBe(readFileSync(join(libraryDir, 'dist', file), 'utf8'))
      }
    } finally {
      rmSync(copy, { recursive: true, force: true })
    }
  })
})
