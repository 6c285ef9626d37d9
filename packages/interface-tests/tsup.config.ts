import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.config.base.js'

export default defineConfig(packageBuild({ index: 'src/index.ts', transport: 'src/transport.ts', strategy: 'src/strategy.ts', storage: 'src/storage.ts', verifier: 'src/verifier.ts', 'browser-bundle': 'src/browser-bundle.ts' }))
