import { postgresPoolOf, type Database } from '@tollgate/db';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

/**
 * Fixed-window counter per key (client IP + route), counted where every server process sees it:
 * - on PostgreSQL (DATABASE_URL), in the table `auth_rate_limits`, so replicas behind one nginx share
 *   one budget per client (rate-limiter-flexible's Postgres store: one atomic upsert per hit);
 * - on the embedded PGlite, in process memory: PGlite is one process by construction (its data folder
 *   is locked to one writer), so memory is shared by every request there is.
 * nginx rate-limits the auth routes too; this is the limit that holds whatever sits in front.
 */
export interface RateLimiter {
  /** Counts one hit; false when the key is over its limit for the current window. */
  hit(key: string, now: Date): Promise<boolean>;
  /** Forgets the key's hits in the current window (a limit on failures, after a success). */
  reset(key: string, now: Date): Promise<void>;
  /** Milliseconds until the current window ends: how long a refused key waits. */
  msUntilNextWindow(now: Date): number;
}

/**
 * The table is not in our migrations: rate-limiter-flexible creates it (`create table if not exists`,
 * a concurrent create by another replica counted as done) at a server's first auth attempt. It holds
 * nothing of value (counters that expire within a window, swept by the library every 5 minutes), and
 * the library owns its shape. The test reset truncates only schema tables, so
 * counters live as long as the server's database, as the in-memory ones live as long as the process.
 */
const TABLE_NAME = 'auth_rate_limits';

export function createRateLimiter(
  { windowMs, max }: { windowMs: number; max: number },
  db: Database,
): RateLimiter {
  // The store expires a key one window after its first hit (its own clock); the window a hit counts in
  // is chosen below from the server's clock, so the store's expiry only garbage-collects.
  const options = { points: max, duration: Math.max(1, Math.ceil(windowMs / 1000)) };
  const pool = postgresPoolOf(db);
  // On PostgreSQL the store (and its table) is made by the first hit, not here: building the services
  // touches no database. A failure (the database away) fails that hit with the database's error (503)
  // and the next hit tries again.
  const limiter = pool
    ? lazily(() => postgresLimiter(pool, options))
    : constant(new RateLimiterMemory(options));
  // Windows follow the server's clock (tests move it), numbered from the epoch, so every replica
  // counts a hit in the same window without asking the others.
  const windowKey = (key: string, now: Date) => `${key}@${Math.floor(now.getTime() / windowMs)}`;
  return {
    async hit(key, now) {
      try {
        await (await limiter()).consume(windowKey(key, now));
        return true;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return false;
        throw rejection;
      }
    },
    async reset(key, now) {
      await (await limiter()).delete(windowKey(key, now));
    },
    msUntilNextWindow(now) {
      return windowMs - (now.getTime() % windowMs);
    },
  };
}

function postgresLimiter(
  pool: NonNullable<ReturnType<typeof postgresPoolOf>>,
  options: { points: number; duration: number },
): Promise<RateLimiterAbstract> {
  return new Promise((resolve, reject) => {
    const limiter: RateLimiterPostgres = new RateLimiterPostgres(
      { ...options, storeClient: pool, storeType: 'pool', tableName: TABLE_NAME },
      (error?: unknown) => (error ? reject(error) : resolve(limiter)),
    );
  });
}

function constant(limiter: RateLimiterAbstract): () => Promise<RateLimiterAbstract> {
  return () => Promise.resolve(limiter);
}

/** `build()` once; again after a failure. */
function lazily<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    pending ??= build().catch((error: unknown) => {
      pending = null;
      throw error;
    });
    return pending;
  };
}
