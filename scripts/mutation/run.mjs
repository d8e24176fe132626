// `npm run test:mutation [-- --concurrency 1]`: runs Stryker (extra arguments are passed on), then prints
// the figures (summary.mjs) and the duration. Fails when Stryker fails or the score is below the bar.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import config from '../../stryker.config.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const started = Date.now();
// A report left by an earlier run must never be read as this run's result.
rmSync(join(root, config.jsonReporter.fileName), { force: true });

const stryker = spawnSync(join(root, 'node_modules', '.bin', 'stryker'), ['run', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
const summary = spawnSync(process.execPath, [join(root, 'scripts', 'mutation', 'summary.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
const seconds = Math.round((Date.now() - started) / 1000);
console.log(`duration                    ${Math.floor(seconds / 60)} min ${seconds % 60} s`);

if (stryker.error) console.error(stryker.error);
process.exit(stryker.status === 0 && summary.status === 0 ? 0 : 1);
