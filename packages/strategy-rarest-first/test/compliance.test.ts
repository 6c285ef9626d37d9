import { strategyComplianceSuite } from '@codio-chunk/interface-tests/strategy'
import { rarestFirst } from '../src/index.js'

strategyComplianceSuite('rarest-first', () => rarestFirst())
