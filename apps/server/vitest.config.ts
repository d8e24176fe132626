import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Each file starts a real server over its own database (PGlite costs ~4 s to create); CI machines
    // have 2 cores shared with other packages' suites, so allow generous setup time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
