import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Each file starts a real Tollgate server on its own database (a fresh PGlite costs seconds of CPU,
    // more on a busy 2-core machine): generous hook timeouts and at most two files at a time.
    hookTimeout: 60_000,
    testTimeout: 30_000,
    maxWorkers: 2,
  },
});
