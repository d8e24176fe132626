import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests talk SMTP to real servers in the process; on a busy 2-core machine, where
    // every package's suite runs at once, vitest's 5 s test default is too close.
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
