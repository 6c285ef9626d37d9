import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { storageComplianceSuite } from '@codio-chunk/interface-tests/storage'
import { fsStorage } from '../src/index.js'

for (const fsync of ['checkpoint', 'batch', 'always', 'never'] as const) {
  storageComplianceSuite(`fs (fsync ${fsync})`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codio-storage-fs-'))
    return {
      storage: fsStorage({ dir, fsync, syncEvery: 2, checkpointBytes: 4096 }),
      cleanup: async () => { await rm(dir, { recursive: true, force: true }) }
    }
  })
}
