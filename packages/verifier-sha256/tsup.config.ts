import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.config.base.js'

// index: Node.js (node:crypto and worker threads too); browser: the portable backends only.
export default defineConfig(packageBuild(['src/index.ts', 'src/browser.ts']))
