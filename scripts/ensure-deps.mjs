// Makes `npm start` / `npm test` work on a fresh machine that has only Node 20 and npm:
// installs pnpm (corepack's download fails its signature check here) and the workspace's
// dependencies from the lockfile, but only when they are missing or stale, so repeat runs are instant.
// `--system=nginx,chromium` also installs what a test suite needs from the system (system-deps.mjs).
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemDepsOrExit } from './system-deps.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit', env: { ...process.env, CI: 'true' } });

function hasPnpm() {
  try {
    execSync('pnpm --version', { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (!hasPnpm()) {
  console.log('[tollgate] installing pnpm 10 with npm…');
  run('npm install --global pnpm@10');
}

const marker = join(root, 'node_modules', '.modules.yaml');
const lockfile = join(root, 'pnpm-lock.yaml');
const isStale = !existsSync(marker) || statSync(lockfile).mtimeMs > statSync(marker).mtimeMs;
if (isStale) {
  console.log('[tollgate] installing dependencies from pnpm-lock.yaml…');
  run('pnpm install --frozen-lockfile');
}

const systemNeeds = process.argv
  .slice(2)
  .flatMap((arg) => (arg.startsWith('--system=') ? arg.slice('--system='.length).split(',') : []))
  .filter(Boolean);
if (systemNeeds.length > 0) ensureSystemDepsOrExit(systemNeeds);
