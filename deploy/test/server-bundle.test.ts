import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevInbox, type DevInbox } from '@tollgate/mail';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer, RUNTIME_EXTERNALS } from '../src/bundle-server';
import { freePort } from '../src/http/free-port';
import { createScratchDatabase, type ScratchDatabase } from '../src/postgres/scratch-database';
import { REPO_ROOT } from '../src/repo-root';
import { startServerProcess, type ServerProcess } from '../src/server-process';

// The runtime half of apps/server/Dockerfile: the esbuild bundle run by plain Node with nothing
// from the workspace, in production mode, on a fresh PostgreSQL database like the image.
describe('the bundled server (what the Docker image runs)', () => {
  const work = mkdtempSync(join(tmpdir(), 'tollgate-bundle-'));
  const outDir = join(work, 'app');
  let database: ScratchDatabase | null = null;
  let server: ServerProcess | null = null;
  /** The SMTP server the bundle sends to (a real one, in this process). */
  let inbox: DevInbox | null = null;
  /** The metrics listener's port (METRICS_PORT, as docker-compose.prod.yml sets 9464). */
  let metricsPort = 0;
  const METRICS_TOKEN = 'bundle-metrics-token-0123456789';

  beforeAll(async () => {
    await bundleServer({ repoRoot: REPO_ROOT, outDir });
    inbox = await startDevInbox({ port: 0 });
    database = await createScratchDatabase('tollgate_bundle');
    const port = await freePort();
    metricsPort = await freePort();
    server = await startServerProcess(
      outDir,
      {
        // Only what the container has: no NODE_PATH, no workspace.
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        APP_URL: 'https://tollgate.test',
        JWT_SECRET: 'bundle-test-secret-of-at-least-32-chars',
        STRIPE_SECRET_KEY: 'sk_test_bundle',
        STRIPE_WEBHOOK_SECRET: 'whsec_bundle',
        STRIPE_PRICE_ID_BASIC: 'price_bundle_basic',
        STRIPE_PRICE_ID_PRO: 'price_bundle_pro',
        STRIPE_PRICE_ID_TEAM: 'price_bundle_team',
        // Production needs SMTP settings: the sign-up below sends its verification email there.
        SMTP_URL: inbox.url,
        MAIL_FROM: 'Tollgate <billing@tollgate.test>',
        LOG_REQUESTS: 'false',
        DATABASE_URL: database.url,
        METRICS_PORT: String(metricsPort),
        METRICS_TOKEN,
      },
      port,
    );
  });
  afterAll(async () => {
    await server?.stop();
    await inbox?.close();
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('holds only the bundle, the migrations and the unbundleable packages', () => {
    expect(existsSync(join(outDir, 'dist/main.mjs'))).toBe(true);
    expect(readdirSync(join(outDir, 'drizzle')).some((file) => file.endsWith('.sql'))).toBe(true);
    for (const { name } of RUNTIME_EXTERNALS)
      expect(existsSync(join(outDir, 'node_modules', name, 'package.json'))).toBe(true);
    expect(existsSync(join(outDir, 'node_modules/express'))).toBe(false);
  });

  it('starts in production mode, applies the migrations and reports healthy', async () => {
    const response = await fetch(`${server?.url}/api/v1/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: 'ok' });
  });

  it('serves Prometheus metrics on their own port, behind the token (prom-client bundled)', async () => {
    const url = `http://127.0.0.1:${metricsPort}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    const response = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^tollgate_db_pool_connections\{state="total"\} [1-9]/m);
    expect(text).toContain('tollgate_nodejs_eventloop_lag_p99_seconds');
    expect((await fetch(`${server?.url}/metrics`)).status).not.toBe(200);
  });

  it('registers an account (the native argon2 addon loads), emails its verification link, and signs in', async () => {
    const credentials = JSON.stringify({ email: 'bundle@example.com', password: 'correct-horse-battery' });
    const register = await fetch(`${server?.url}/api/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: credentials,
    });
    expect(register.status).toBe(200);
    // The verification email, rendered by MJML inside the bundle and sent over SMTP by the outbox.
    const verification = await inbox?.waitFor((message) => message.to.includes('bundle@example.com'), {
      timeoutMs: 20_000,
    });
    expect(verification?.subject).toBe('Verify your email address');
    expect(verification?.text).toContain('https://tollgate.test/verify-email#token=');

    const login = await fetch(`${server?.url}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: credentials,
    });
    expect(login.status).toBe(200);
    expect(await login.json()).toMatchObject({ result: { data: { accessToken: expect.any(String) } } });
  });

  it('refuses to start in production without its settings, naming each missing one', () => {
    const result = spawnSync(process.execPath, ['dist/main.mjs'], {
      cwd: outDir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    for (const name of [
      'DATABASE_URL',
      'APP_URL',
      'JWT_SECRET',
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
    ]) {
      expect(result.stderr).toContain(`${name}: required in production`);
    }
  });

  it('exits 0 on SIGTERM', async () => {
    const code = await server?.stop();
    expect(code).toBe(0);
  });
});
