// The engine's own plugins (the built-in memory storage and the default strategy) pass the same
// compliance suites as every plugin package.
import { storageComplianceSuite } from '@codio-chunk/interface-tests/storage'
import { strategyComplianceSuite } from '@codio-chunk/interface-tests/strategy'
import { defaultStrategy, memoryStorage } from '../src/index.js'

storageComplianceSuite('memory (engine)', async () => ({ storage: memoryStorage() }))
strategyComplianceSuite('default rarest-first (engine)', () => defaultStrategy)
