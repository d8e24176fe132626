import { silentLogger, signAccessToken, type BillingSettings } from '@tollgate/api';
import { randomUUID } from 'node:crypto';
import { insertRefreshToken, type DbHandle } from '@tollgate/db';
import { parseEnv, startServer, type RunningServer } from '@tollgate/server';

export const BENCH_JWT_SECRET = 'bench-secret-that-is-at-least-32-characters-long';

export interface BenchServerOptions {
  /** AUTHORIZE_BATCH_WINDOW_MS: 0 = one transaction per run. */
  batchWindowMs: number;
  billing?: BillingSettings | null;
}

/** A real Tollgate server (startServer, the production wiring) on a random port over `db`. */
export function startBenchServer(db: DbHandle, options: BenchServerOptions): Promise<RunningServer> {
  return startServer(
    parseEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: BENCH_JWT_SECRET,
      APP_URL: 'http://app.tollgate.bench',
      LOG_REQUESTS: 'false',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
      AUTHORIZE_BATCH_WINDOW_MS: String(options.batchWindowMs),
      AUTHORIZE_BATCH_MAX: '256',
    }),
    { db, logger: silentLogger, billing: options.billing ?? null },
  );
}

/**
 * Access tokens (HS256 JWTs, as the web app sends) for the given accounts, each naming a signed-in
 * session (a refresh-token family) as a sign-in's does: the server checks it like any user's.
 */
export function accessTokens(server: RunningServer, userIds: readonly string[]): Promise<string[]> {
  const now = new Date();
  const jwt = { ...server.deps.config.jwt, accessTtlSeconds: 3600 };
  return Promise.all(
    userIds.map(async (id) => {
      const session = await insertRefreshToken(server.db.db, {
        userId: id,
        tokenHash: randomUUID(),
        familyId: randomUUID(),
        expiresAt: new Date(now.getTime() + 86_400_000),
      });
      return signAccessToken(jwt, { id, email: null }, session.familyId, now);
    }),
  );
}
