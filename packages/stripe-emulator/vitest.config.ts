import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Each file starts the emulator and a webhook receiver over HTTP; on a busy 2-core machine, where
    // every package's suite runs at once, vitest's 5 s test default is too close.
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
