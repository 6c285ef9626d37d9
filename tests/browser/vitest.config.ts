import { packageTestConfig } from '../../vitest.shared.js'

// One browser at a time: the files share the machine's two cores with the nodes they start.
export default packageTestConfig({ testTimeout: 90_000, fileParallelism: false })
