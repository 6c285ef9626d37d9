import { strategyComplianceSuite } from '@codio-chunk/interface-tests/strategy'
import edgesFirstDefault, { edgesFirst } from '../src/index.js'

strategyComplianceSuite('edges-first', () => edgesFirst())
strategyComplianceSuite('edges-first (default export, as the CLI loads it)', () => edgesFirstDefault())
strategyComplianceSuite('edges-first { head: 0, tail: 0 }', () => edgesFirst({ head: 0, tail: 0 }))
strategyComplianceSuite('edges-first { head: 64, tail: 64 }', () => edgesFirst({ head: 64, tail: 64 }))
