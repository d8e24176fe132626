import { defineConfig } from 'vitest/config';

/**
 * The browser suite: builds the app, starts the real server (with the offline Stripe emulator) once,
 * and drives Debian's Chromium through playwright-core. Run with `pnpm test:e2e`; the root `pnpm test`
 * never picks these files up (they end in .e2e.ts, outside the component tests' include).
 */
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/global-setup.ts'],
    environment: 'node',
    // One server and one browser at a time: the flows are long and the machine is small.
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
