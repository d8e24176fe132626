import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file initdb's its own PostgreSQL cluster and drives a real server process through outages:
    // minutes, not seconds, on a busy 2-core machine. Files run one at a time (they measure recovery).
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
