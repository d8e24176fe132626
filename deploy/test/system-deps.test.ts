import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureSystemDeps, SystemDepsError } from '../../scripts/system-deps.mjs';
import { REPO_ROOT } from '../src/repo-root';

// `npm test` on a fresh machine (Node 20 and npm, as root): the deploy tests need nginx, which only
// .ci/run used to install. The installer logic runs here against a temp root and a PATH holding only a
// fake apt-get, so nothing on this machine is touched.
let root: string;
let bin: string;
let aptLog: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tollgate-system-deps-'));
  bin = join(root, 'bin');
  aptLog = join(root, 'apt.log');
  mkdirSync(bin);
  mkdirSync(join(root, 'usr/sbin'), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/**
 * An apt-get that logs its arguments and, on install, provides nginx (and Prometheus's two commands) the
 * way Debian's packages do.
 */
function fakeAptGet({ exitCode = 0, provides = true } = {}): void {
  const script = `#!/bin/sh
policy=absent
[ -x "${root}/usr/sbin/policy-rc.d" ] && { "${root}/usr/sbin/policy-rc.d"; policy="exit $?"; }
echo "$* | DEBIAN_FRONTEND=$DEBIAN_FRONTEND | policy-rc.d $policy" >> "${aptLog}"
if [ "$1" = install ] && [ "${provides}" = true ]; then
  printf '#!/bin/sh\\necho nginx version: fake\\n' > "${bin}/nginx" && /bin/chmod +x "${bin}/nginx"
  /bin/mkdir -p "${root}/etc/nginx" && echo 'types {}' > "${root}/etc/nginx/mime.types"
  for command in prometheus promtool; do
    printf '#!/bin/sh\n' > "${bin}/$command" && /bin/chmod +x "${bin}/$command"
  done
fi
exit ${exitCode}
`;
  writeFileSync(join(bin, 'apt-get'), script);
  chmodSync(join(bin, 'apt-get'), 0o755);
}

const aptCalls = () => (existsSync(aptLog) ? readFileSync(aptLog, 'utf8').trim().split('\n') : []);
const quiet = () => undefined;
const ensure = (options: { uid?: number; path?: string } = {}) =>
  ensureSystemDeps(['nginx'], {
    root,
    env: { PATH: options.path ?? bin },
    uid: options.uid ?? 0,
    log: quiet,
  });

describe('system packages the test suites need (scripts/system-deps.mjs)', () => {
  it('npm test asks for nginx and Prometheus; test:e2e for Chromium; npm start for nothing', () => {
    const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.test).toMatch(/^node scripts\/ensure-deps\.mjs --system=nginx,prometheus && /);
    expect(scripts['test:e2e']).toMatch(/^node scripts\/ensure-deps\.mjs --system=chromium && /);
    expect(scripts.start).not.toContain('--system');
  });

  it('nginx absent, root, apt-get present → installs it without letting the package start a service', () => {
    fakeAptGet();
    expect(ensure()).toEqual(['nginx']);
    expect(aptCalls()).toEqual([
      'update -qq | DEBIAN_FRONTEND=noninteractive | policy-rc.d exit 101',
      'install -y -qq --no-install-recommends nginx | DEBIAN_FRONTEND=noninteractive | policy-rc.d exit 101',
    ]);
    expect(existsSync(join(root, 'etc/nginx/mime.types'))).toBe(true);
    // The temporary policy is gone afterwards; a second run finds nginx and does nothing.
    expect(existsSync(join(root, 'usr/sbin/policy-rc.d'))).toBe(false);
    expect(ensure()).toEqual([]);
    expect(aptCalls()).toHaveLength(2);
  });

  it("keeps a machine's own policy-rc.d", () => {
    fakeAptGet();
    writeFileSync(join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    ensure();
    expect(aptCalls()[0]).toContain('policy-rc.d exit 0');
    expect(readFileSync(join(root, 'usr/sbin/policy-rc.d'), 'utf8')).toContain('exit 0');
  });

  it('Prometheus: both its commands are needed, from the one Debian package (never a running daemon)', () => {
    fakeAptGet();
    writeFileSync(join(bin, 'prometheus'), '#!/bin/sh\n', { mode: 0o755 });
    const installed = ensureSystemDeps(['prometheus'], { root, env: { PATH: bin }, uid: 0, log: quiet });
    // promtool is missing: the package is installed, with the policy that keeps its service stopped.
    expect(installed).toEqual(['prometheus']);
    expect(aptCalls()[1]).toBe(
      'install -y -qq --no-install-recommends prometheus | DEBIAN_FRONTEND=noninteractive | policy-rc.d exit 101',
    );
  });

  it('nginx on PATH but no mime.types → still installs (the deploy tests copy that file)', () => {
    fakeAptGet();
    writeFileSync(join(bin, 'nginx'), '#!/bin/sh\n', { mode: 0o755 });
    expect(ensure()).toEqual(['nginx']);
  });

  it('not root → explains how to install it, runs nothing', () => {
    fakeAptGet();
    expect(() => ensure({ uid: 1000 })).toThrow(SystemDepsError);
    expect(() => ensure({ uid: 1000 })).toThrow(
      /nginx \(the deploy tests .*missing: nginx, \/etc\/nginx\/mime\.types\).*needs root: run `sudo apt-get install -y --no-install-recommends nginx`/s,
    );
    expect(aptCalls()).toEqual([]);
  });

  it('no apt-get → says to use the system’s package manager', () => {
    expect(() => ensure({ path: join(root, 'empty') })).toThrow(
      /no apt-get here to install it: install nginx/,
    );
  });

  it('apt-get failing, or installing without providing nginx → a clear error', () => {
    fakeAptGet({ exitCode: 100 });
    expect(() => ensure()).toThrow(/`apt-get install -y --no-install-recommends nginx` failed/);
    expect(existsSync(join(root, 'usr/sbin/policy-rc.d'))).toBe(false);
    rmSync(aptLog);
    fakeAptGet({ provides: false });
    expect(() => ensure()).toThrow(/still missing/);
  });
});
