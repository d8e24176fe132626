import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDb } from '@tollgate/db/testing';
import { parseEnv, startServer } from '@tollgate/server';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The real server, serving the built app and the API on one origin. */
    baseUrl: string;
    /**
     * The one-time token the server announces while no platform operator exists (as a real install
     * does at first start): the operator test claims it through operators.claimBootstrap.
     */
    operatorBootstrapToken: string | null;
  }
}

const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Quiet, except that it keeps the operator bootstrap token the server prints at start. */
function bootstrapCapturingLogger() {
  let token: string | null = null;
  const capture = (_message: string, fields?: Record<string, unknown>) => {
    if (typeof fields?.bootstrapToken === 'string') token = fields.bootstrapToken;
  };
  return { logger: { info: capture, warn: capture, error() {} }, token: () => token };
}

/**
 * Builds apps/web (vite build) and starts the real Tollgate server in this process: its own fresh
 * database (PostgreSQL with DATABASE_URL, else in-memory PGlite), no STRIPE_SECRET_KEY so the offline
 * Stripe emulator runs in-process, and the built app served as static files with the SPA fallback.
 */
export default async function setup(project: TestProject) {
  await build({ root: WEB_DIR, logLevel: 'warn', configFile: resolve(WEB_DIR, 'vite.config.ts') });
  const db = await createTestDb();
  // APP_URL must be the server's own origin (checkout return URLs are checked against it), so the port
  // is chosen before the server starts.
  const port = await freePort();
  const capture = bootstrapCapturingLogger();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = await startServer(
    parseEnv({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      APP_URL: baseUrl,
      JWT_SECRET: randomBytes(32).toString('hex'),
      LOG_REQUESTS: 'false',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      STRIPE_EMULATOR_PORT: '0',
      WEB_DIST_DIR: resolve(WEB_DIR, 'dist'),
    }),
    { db, logger: capture.logger },
  ).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  project.provide('baseUrl', baseUrl);
  project.provide('operatorBootstrapToken', capture.token());

  return async () => {
    await server.close();
    await db.close();
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}
