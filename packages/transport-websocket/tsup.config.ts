import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.config.base.js'

// Two entries: index (Node.js: listens and dials with `ws`) and browser (dials with the native
// WebSocket; imports neither `ws` nor any Node.js built-in).
export default defineConfig(packageBuild(['src/index.ts', 'src/browser.ts']))
