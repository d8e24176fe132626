// @ts-check
// Mutation testing of the money rules: `npm run test:mutation` (scripts/mutation/run.mjs runs Stryker and
// prints the figures). Stryker changes the code below one small mutation at a time (a `<` becomes `<=`,
// a condition `true`, a string empty…) and runs the tests that cover it: a mutant no test notices is a
// rule the tests don't pin down. README "Mutation testing" says how to read the result.
import { readFileSync } from 'node:fs';

/**
 * Only planForPrice of stripe-settings.ts is a pure rule (the rest builds the Stripe client): mutate the
 * lines of that function, found by name so edits elsewhere in the file don't shift the range.
 */
function functionLines(file, name) {
  const lines = readFileSync(new URL(file, import.meta.url), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith(`export function ${name}(`));
  const end = lines.findIndex((line, i) => i > start && line === '}');
  if (start < 0 || end < 0) throw new Error(`stryker.config.mjs: function ${name} not found in ${file}`);
  return `${file}:${start + 1}-${end + 1}`;
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  testRunner: 'vitest',
  vitest: { configFile: 'scripts/mutation/vitest.config.mjs' },
  coverageAnalysis: 'perTest',
  plugins: ['@stryker-mutator/vitest-runner', './scripts/mutation/message-ignorer.mjs'],
  mutate: [
    // The pure rules: plans, entitlement, run decision, usage periods, trial, Stripe parsers and
    // reducer, 402 body, one live subscription per account.
    'packages/domain/src/**/*.ts',
    // The pure parts of the usage and billing services, each with a colocated test that needs no
    // database (the rest of packages/api is tested against PGlite/PostgreSQL and is left out).
    'packages/api/src/services/run-batcher.ts',
    'packages/api/src/services/run-fingerprint.ts',
    'packages/api/src/billing/redirect-urls.ts',
    'packages/api/src/billing/in-flight-events.ts',
    'packages/api/src/auth/verified-token-cache.ts',
    functionLines('packages/api/src/billing/stripe-settings.ts', 'planForPrice'),
  ],
  // THE EXCLUSION LIST. Only the text of messages and logs is left out, by this ignorer (rules in
  // scripts/mutation/message-ignorer.mjs: AppError/Error messages, `message` properties and variables,
  // log calls); the count is printed as "excluded as message text" at the end of every run. No
  // mutator is switched off and no `// Stryker disable` comment is allowed: summary.mjs scores any
  // other ignored mutant as undetected.
  ignorers: ['message-text'],
  thresholds: { high: 97, low: 95, break: 95 },
  // Copy only what the tests need into the sandbox.
  ignorePatterns: [
    '/apps',
    '/bench',
    '/deploy',
    '/docs',
    '/examples',
    '/faults',
    '/nginx',
    '/artifacts',
    '/.turbo',
    '/packages/db',
    '/packages/sdk',
    '/packages/stripe-emulator',
  ],
  tempDirName: 'artifacts/stryker-tmp',
  cleanTempDir: 'always',
  reporters: ['clear-text', 'progress', 'json', 'html'],
  clearTextReporter: { reportMutants: false, reportTests: false },
  jsonReporter: { fileName: 'artifacts/mutation/mutation.json' },
  htmlReporter: { fileName: 'artifacts/mutation/mutation.html' },
  incrementalFile: 'artifacts/mutation/incremental.json',
  // Two cores on our machines; `npm run test:mutation -- --concurrency 1` on a busy one.
  concurrency: 2,
};

export default config;
