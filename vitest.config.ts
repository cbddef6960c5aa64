import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real processes (git, nginx, shards); one file's servers must not
    // compete with another's for the two cores CI has.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    coverage: {
      provider: 'v8',
      include: ['webmachine/**/*.ts', 'fs-service/**/*.ts', 'repo-server/**/*.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: {
        'webmachine/**/*.ts': { lines: 95, branches: 95 },
      },
    },
  },
});
