import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // A fresh PGlite costs seconds of CPU, more on a busy 2-core machine: generous hook timeouts, and at
    // most two test files (two databases) at a time.
    hookTimeout: 60_000,
    testTimeout: 60_000,
    maxWorkers: 2,
  },
});
