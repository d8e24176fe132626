// The tests Stryker runs against each mutant: the domain package's suite and the colocated tests of the
// pure api files listed in stryker.config.mjs (no database, no emulator, no network). Run from the repo
// root (or Stryker's copy of it).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export const MUTATION_TEST_FILES = [
  'packages/domain/test/**/*.test.ts',
  'packages/api/src/services/run-batcher*.test.ts',
  'packages/api/src/services/run-fingerprint.test.ts',
  'packages/api/src/billing/redirect-urls.test.ts',
  'packages/api/src/billing/in-flight-events.test.ts',
  'packages/api/src/auth/access-token.test.ts',
  'packages/api/src/billing/stripe-settings.test.ts',
];

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: MUTATION_TEST_FILES,
  },
});
