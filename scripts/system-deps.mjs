// What the test suites need from the operating system, installed with Debian's apt-get when it is
// missing, the way ensure-deps.mjs installs pnpm and the node modules: `npm test` asks for nginx (the
// deploy tests run the shipped config with a real nginx) and Prometheus (they validate the shipped
// monitoring config and scrape a real server), `npm run test:e2e` for Chromium. `npm start`
// asks for nothing. Where it can't install (not root, no apt-get) it says what to do instead.
//
// Also a CLI: `node scripts/system-deps.mjs nginx chromium`.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @typedef {object} SystemNeed
 * @property {string} why         who needs it, for the messages
 * @property {string[]} commands  executables that must be on PATH
 * @property {string[]} files     absolute paths that must exist
 * @property {string[]} packages  Debian packages that provide them
 */

/** @type {Readonly<Record<string, SystemNeed>>} */
export const SYSTEM_NEEDS = {
  nginx: {
    why: 'the deploy tests run the shipped nginx config with a real nginx',
    commands: ['nginx'],
    // local-nginx-prefix.ts copies Debian's mime.types (the same file the official image has).
    files: ['/etc/nginx/mime.types'],
    packages: ['nginx'],
  },
  prometheus: {
    why: 'the deploy tests check the shipped alert rules with promtool and scrape a real server with Prometheus',
    commands: ['prometheus', 'promtool'],
    files: [],
    // Debian's package would start a daemon on :9090; the policy-rc.d below keeps it from starting.
    packages: ['prometheus'],
  },
  chromium: {
    why: 'the browser e2e tests drive /usr/bin/chromium',
    commands: [],
    files: ['/usr/bin/chromium'],
    packages: ['chromium', 'fonts-dejavu-core'],
  },
};

export class SystemDepsError extends Error {
  /** @override */
  name = 'SystemDepsError';
}

/**
 * @param {string} command
 * @param {string | undefined} searchPath  a PATH value
 * @returns {boolean}
 */
function isOnPath(command, searchPath) {
  return (searchPath ?? '').split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * What of `need` is missing: command names and file paths.
 * @param {SystemNeed} need
 * @param {{ root: string, env: NodeJS.ProcessEnv }} where
 * @returns {string[]}
 */
export function missingParts(need, { root, env }) {
  return [
    ...need.commands.filter((command) => !isOnPath(command, env.PATH)),
    ...need.files.filter((file) => !existsSync(join(root, file))),
  ];
}

/**
 * Installs the named needs that are missing; resolves with the Debian packages it installed.
 * @param {string[]} names keys of SYSTEM_NEEDS
 * @param {object} [options]
 * @param {string} [options.root]   file system root the `files` are looked up under (tests use a temp dir)
 * @param {NodeJS.ProcessEnv} [options.env]  its PATH finds the commands and apt-get
 * @param {number} [options.uid]    the effective user id (0 = root)
 * @param {(line: string) => void} [options.log]
 * @returns {string[]}
 */
export function ensureSystemDeps(names, options = {}) {
  const { root = '/', env = process.env, uid = process.getuid?.() ?? -1, log = console.log } = options;
  const missing = names.flatMap((name) => {
    const need = SYSTEM_NEEDS[name];
    if (!need)
      throw new SystemDepsError(`unknown system dependency ${name}: one of ${Object.keys(SYSTEM_NEEDS)}`);
    const parts = missingParts(need, { root, env });
    return parts.length > 0 ? [{ name, need, parts }] : [];
  });
  if (missing.length === 0) return [];

  const packages = missing.flatMap(({ need }) => need.packages);
  const what = missing.map(({ name, need, parts }) => `${name} (${need.why}; missing: ${parts.join(', ')})`);
  const manual = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (uid !== 0) {
    throw new SystemDepsError(
      `[tollgate] missing from this machine: ${what.join('; ')}.\n` +
        `Installing it needs root: run \`sudo ${manual}\` once, or run this command as root.`,
    );
  }
  if (!isOnPath('apt-get', env.PATH)) {
    throw new SystemDepsError(
      `[tollgate] missing from this machine: ${what.join('; ')}.\n` +
        `There is no apt-get here to install it: install ${packages.join(', ')} with this system's package ` +
        `manager (the commands on PATH, the files at: ${missing.flatMap(({ need }) => need.files).join(', ')}).`,
    );
  }

  log(
    `[tollgate] installing ${packages.join(', ')} with apt-get (${missing.map(({ name }) => name).join(', ')})…`,
  );
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  // Keep packages from starting their own services (nginx on port 80): Debian's policy-rc.d protocol,
  // exit code 101 = action forbidden. Left alone when the machine has a policy of its own.
  const policy = join(root, 'usr/sbin/policy-rc.d');
  const isPolicyOurs = !existsSync(policy);
  try {
    if (isPolicyOurs) {
      mkdirSync(dirname(policy), { recursive: true });
      writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    }
    const apt = (/** @type {string[]} */ args) =>
      execFileSync('apt-get', args, { env: aptEnv, stdio: 'inherit' });
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  } catch (error) {
    throw new SystemDepsError(
      `[tollgate] \`${manual}\` failed (${error instanceof Error ? error.message : String(error)}): ` +
        `${what.join('; ')}`,
    );
  } finally {
    if (isPolicyOurs) rmSync(policy, { force: true });
  }

  const stillMissing = missing.flatMap(({ need }) => missingParts(need, { root, env }));
  if (stillMissing.length > 0) {
    throw new SystemDepsError(
      `[tollgate] apt-get installed ${packages.join(', ')} but ${stillMissing.join(', ')} is still missing`,
    );
  }
  return packages;
}

/** Runs ensureSystemDeps for the CLI and the npm scripts: a clear message and exit code 1 on failure. */
export function ensureSystemDepsOrExit(/** @type {string[]} */ names) {
  try {
    ensureSystemDeps(names);
  } catch (error) {
    if (!(error instanceof SystemDepsError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureSystemDepsOrExit(process.argv.slice(2));
}
