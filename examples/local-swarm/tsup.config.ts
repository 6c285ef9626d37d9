import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.config.base.js'

export default defineConfig(packageBuild(['src/demo.ts'], { dts: false }))
