import { strategyComplianceSuite } from '@codio-chunk/interface-tests/strategy'
import { sequential } from '../src/index.js'

strategyComplianceSuite('sequential', () => sequential())
