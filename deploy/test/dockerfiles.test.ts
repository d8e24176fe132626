import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextCopySources, readDockerfile, type Stage } from '../src/docker/dockerfile';
import { isIgnoredByDocker } from '../src/docker/dockerignore';
import { REPO_ROOT } from '../src/repo-root';

// No Docker engine on these machines: static checks catch what would break `docker build` here
// (a missing file, a drifted pnpm version, an ignored input) and the image's hardening.
const rootManifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  packageManager: string;
};
const deployManifest = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy/package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};
const server = readDockerfile(REPO_ROOT, 'apps/server/Dockerfile');
const edge = readDockerfile(REPO_ROOT, 'nginx/Dockerfile');

const lastStage = (stages: Stage[]): Stage => {
  const stage = stages.at(-1);
  if (!stage) throw new Error('no FROM');
  return stage;
};
const argsOf = (stage: Stage, keyword: string) =>
  stage.instructions
    .filter((instruction) => instruction.keyword === keyword)
    .map((instruction) => instruction.args);

describe('Dockerfiles', () => {
  it('install the pnpm version the repository pins', () => {
    expect(`pnpm@${server.args.PNPM_VERSION}`).toBe(rootManifest.packageManager);
    expect(`pnpm@${edge.args.PNPM_VERSION}`).toBe(rootManifest.packageManager);
  });

  it('pin every base image to a version, on Node 20 like the repository', () => {
    for (const stage of [...server.stages, ...edge.stages]) {
      expect(stage.image).toMatch(/:\d/);
      if (stage.image.startsWith('node:')) expect(stage.image).toMatch(/^node:20\b/);
    }
    expect(lastStage(edge.stages).image).toMatch(/^nginx:\d+\.\d+-alpine$/);
  });

  it("run an nginx whose upstream can re-resolve the replicas' name (`resolve`: open source from 1.27.3)", () => {
    const [major = 0, minor = 0] = (/^nginx:(\d+)\.(\d+)-/.exec(lastStage(edge.stages).image) ?? [])
      .slice(1)
      .map(Number);
    // 1.28 is the first stable line with it (1.27.0-1.27.2 lack it; a floating 1.27 tag is mainline).
    expect(major > 1 || (major === 1 && minor >= 28)).toBe(true);
    const template = readFileSync(join(REPO_ROOT, 'nginx/templates/tollgate.conf.template'), 'utf8');
    expect(template).toMatch(/^\s*server \$\{TOLLGATE_UPSTREAM\} resolve;$/m);
  });

  it('copy only files that exist and that .dockerignore keeps in the context', () => {
    for (const stage of [...server.stages, ...edge.stages]) {
      for (const source of contextCopySources(stage)) {
        if (source === '.') continue;
        expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
        expect(isIgnoredByDocker(REPO_ROOT, source.replace(/\/$/, '')), source).toBe(false);
      }
    }
  });

  it('keep secrets and local installs out of the context, and the inputs of the build in it', () => {
    for (const path of [
      '.env',
      '.git/config',
      'node_modules/x',
      'apps/server/node_modules/x',
      'apps/web/dist/index.html',
    ]) {
      expect(isIgnoredByDocker(REPO_ROOT, path), path).toBe(true);
    }
    for (const path of [
      '.env.example',
      'pnpm-lock.yaml',
      'packages/db/drizzle',
      'deploy/src/bundle-server.ts',
      'apps/web/package.json',
    ]) {
      expect(isIgnoredByDocker(REPO_ROOT, path), path).toBe(false);
    }
  });

  it('copy the patched dependencies’ patch files before pnpm first reads the lockfile', () => {
    const lockfile = readFileSync(join(REPO_ROOT, 'pnpm-lock.yaml'), 'utf8');
    const patchFiles = [...lockfile.matchAll(/^\s+path: (patches\/\S+)$/gm)].map((match) => match[1] ?? '');
    expect(patchFiles.length).toBeGreaterThan(0);
    for (const file of patchFiles) expect(existsSync(join(REPO_ROOT, file)), file).toBe(true);
    for (const stage of [server.stages[0], edge.stages[0]]) {
      const instructions = stage?.instructions ?? [];
      const firstPnpm = instructions.findIndex(
        (instruction) => instruction.keyword === 'RUN' && /\bpnpm (fetch|install)\b/.test(instruction.args),
      );
      const patchesCopy = instructions.findIndex(
        (instruction) => instruction.keyword === 'COPY' && /^patches\/? /.test(instruction.args),
      );
      expect(firstPnpm).toBeGreaterThan(-1);
      expect(patchesCopy, stage?.name ?? '').toBeGreaterThan(-1);
      expect(patchesCopy).toBeLessThan(firstPnpm);
    }
  });

  it('build the server bundle with the script the deploy package provides', () => {
    const build = argsOf(server.stages[0] ?? lastStage(server.stages), 'RUN').join('\n');
    expect(build).toContain('pnpm --filter @tollgate/deploy-tests run bundle-server /out');
    expect(deployManifest.scripts['bundle-server']).toBe('tsx src/bundle-server-cli.ts');
  });

  it('run the server as a non-root user, with a healthcheck, from the bundle alone', () => {
    const runtime = lastStage(server.stages);
    expect(argsOf(runtime, 'USER')).toEqual(['node']);
    expect(argsOf(runtime, 'COPY')).toEqual(['--from=build /out/ /app/']);
    expect(argsOf(runtime, 'HEALTHCHECK').join(' ')).toContain('/api/v1/health/ready');
    expect(argsOf(runtime, 'CMD')).toEqual(['["node", "--enable-source-maps", "dist/main.mjs"]']);
  });

  it('ship the nginx config, its template and the reload script, and drop the default site', () => {
    const runtime = lastStage(edge.stages);
    expect(argsOf(runtime, 'RUN').join('\n')).toContain('rm -f /etc/nginx/conf.d/default.conf');
    expect(argsOf(runtime, 'COPY')).toContain('--from=web /repo/apps/web/dist/ /usr/share/nginx/html/');
    const script = join(REPO_ROOT, 'nginx/docker-entrypoint.d/40-reload-on-certificate-renewal.sh');
    expect(statSync(script).mode & 0o111).not.toBe(0);
  });
});
