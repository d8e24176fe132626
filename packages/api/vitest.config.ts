import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Some files create a PGlite database (seconds of CPU, more on a busy 2-core machine where every
    // package's suite runs at once): vitest's 10 s hook default timed one out in CI.
    hookTimeout: 60_000,
    testTimeout: 60_000,
  },
});
