import { silentLogger, type BillingSettings, type Logger } from '@tollgate/api';
import { createTestDb, type TestDbHandle } from '@tollgate/db/testing';
import { parseEnv } from '../../src/env';
import { startServer, type RunningServer } from '../../src/server';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface TestServer extends RunningServer {
  testDb: TestDbHandle;
  /** Moves the server's clock (token expiry, periods, release window). */
  clock: { set(date: Date): void; advance(ms: number): void; reset(): void };
  stop(): Promise<void>;
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
  const server = await startServer(
    parseEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: TEST_JWT_SECRET,
      APP_URL: 'http://app.tollgate.test',
      LOG_REQUESTS: 'false',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      ...env,
    }),
    { db: testDb, logger: options.logger ?? silentLogger, now, billing: options.billing ?? null },
  );
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
