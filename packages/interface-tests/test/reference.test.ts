// Runs the suites against the reference implementations that live in core, which cannot depend
// on this package itself: the built-in storage and the default strategy.
import { defaultStrategy, memoryStorage } from '@codio-chunk/core'
import { storageComplianceSuite } from '../src/storage.js'
import { strategyComplianceSuite } from '../src/strategy.js'

storageComplianceSuite('memory (core)', async () => ({ storage: memoryStorage() }))
strategyComplianceSuite('default rarest-first (core)', () => defaultStrategy)
