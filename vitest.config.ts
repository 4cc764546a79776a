import { defineConfig } from 'vitest/config';

// One vitest run covers every package. The `@lab/source` condition resolves
// workspace packages to their TypeScript sources, so tests need no build.
export default defineConfig({
  resolve: { conditions: ['@lab/source'] },
  ssr: { resolve: { conditions: ['@lab/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/test/**/*.test.ts', 'benchmarks/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
