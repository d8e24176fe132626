import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The test starts a real Tollgate server on a fresh database (seconds of CPU on a busy machine).
    hookTimeout: 60_000,
    testTimeout: 30_000,
    maxWorkers: 2,
  },
});
