import { silentLogger, type BillingSettings, type Logger } from '@tollgate/api';
import { users } from '@tollgate/db';
import { createTestDb, type TestDbHandle } from '@tollgate/db/testing';
import { eq } from 'drizzle-orm';
import { parseEnv } from '../../src/env';
import { registerUser, uniqueEmail, type Tokens } from './http';
import { startServer, type RunningServer } from '../../src/server';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface TestServer extends RunningServer {
  testDb: TestDbHandle;
  /** Moves the server's clock (token expiry, periods, release window). */
  clock: { set(date: Date): void; advance(ms: number): void; reset(): void };
  stop(): Promise<void>;
}

/** The settings every test server starts with, `env` on top. */
export function testServerEnv(env: Record<string, string> = {}) {
  return parseEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: TEST_JWT_SECRET,
    APP_URL: 'http://app.tollgate.test',
    LOG_REQUESTS: 'false',
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    // Overage is reported by tests that mean to (services.stripe.meterReporter), not every minute.
    METER_REPORT_INTERVAL_SECONDS: '0',
    ...env,
  });
}

/**
 * Another server process over `first`'s database and clock (its own services, so its own in-memory
 * state): a second replica, or the same deployment started again with other settings.
 */
export function startServerOnDatabaseOf(
  first: TestServer,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  return startServer(testServerEnv(env), {
    db: first.testDb,
    logger: first.deps.logger,
    now: first.deps.now,
    billing: null,
  });
}

/** A real server on a random port over a per-file database (PGlite, or PostgreSQL with DATABASE_URL). */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { billing?: BillingSettings | null; now?: () => Date; logger?: Logger } = {},
): Promise<TestServer> {
  const testDb = await createTestDb();
  let offsetMs = 0;
  let fixed: Date | null = null;
  const baseNow = options.now ?? (() => new Date());
  const now = () => (fixed ? new Date(fixed.getTime() + offsetMs) : new Date(baseNow().getTime() + offsetMs));
  const server = await startServer(testServerEnv(env), {
    db: testDb,
    logger: options.logger ?? silentLogger,
    now,
    billing: options.billing ?? null,
  });
  return {
    ...server,
    testDb,
    clock: {
      set(date) {
        fixed = date;
        offsetMs = 0;
      },
      advance(ms) {
        offsetMs += ms;
      },
      reset() {
        fixed = null;
        offsetMs = 0;
      },
    },
    async stop() {
      await server.close();
      await testDb.close();
    },
  };
}

/**
 * Marks a registered user's email verified straight in the test database, for tests about trials and
 * checkout (which need a verified address) that aren't about verification. The real flow (the emailed
 * link from the outbox → auth.verifyEmail) is tested in test/email/.
 */
export async function verifyEmail(server: Pick<TestServer, 'testDb'>, userId: string): Promise<void> {
  await server.testDb.db.update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, userId));
}

/** Registers a user (over HTTP, as clients do) whose email is verified: see `verifyEmail`. */
export async function registerVerifiedUser(
  server: Pick<TestServer, 'testDb' | 'url'>,
  email = uniqueEmail(),
): Promise<Tokens> {
  const tokens = await registerUser(server.url, email);
  await verifyEmail(server, tokens.user.id);
  return tokens;
}
