import { packageTestConfig } from '../../vitest.shared.js'

// One target at a time: each gets the whole machine for its time budget.
export default packageTestConfig({ testTimeout: 24 * 60 * 60 * 1000, fileParallelism: false })
