import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file starts real processes (nginx, a server, a PGlite database): generous timeouts on a
    // busy 2-core machine, and at most two files at a time.
    hookTimeout: 60_000,
    testTimeout: 30_000,
    maxWorkers: 2,
  },
});
