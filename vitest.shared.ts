import { defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

/**
 * Tests resolve workspace packages to their TypeScript sources through the `@codio-chunk/source`
 * export condition, so no build is needed before testing and every test sees one copy of core.
 */
export const sourceConditions = ['@codio-chunk/source', ...defaultServerConditions]

export function packageTestConfig (overrides: { testTimeout?: number, fileParallelism?: boolean } = {}) {
  return defineConfig({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: sourceConditions } },
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 30_000,
      hookTimeout: 30_000,
      fileParallelism: overrides.fileParallelism ?? true,
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results/vitest.json' }
    }
  })
}
