import { strategyComplianceSuite } from '@codio-chunk/interface-tests/strategy'
import { random, randomOrder } from '../src/index.js'

strategyComplianceSuite('random', () => randomOrder())
strategyComplianceSuite('random (alias)', () => random())
