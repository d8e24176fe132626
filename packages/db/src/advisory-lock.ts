import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Database } from './database';
import { postgresPoolOf } from './postgres-pool';
import { queryRows } from './raw-query';

/** A session-level advisory lock this process holds until `release()` (or its session ends). */
export interface AdvisoryLease {
  /** False once the session that holds the lock is gone (the server let go of the lock with it). */
  isHeld(): boolean;
  /** Asks the session whether it still answers: a lost connection turns the lease (and isHeld) false. */
  check(): Promise<boolean>;
  /** Unlocks and ends the session. Never throws: a session that is gone holds no lock. */
  release(): Promise<void>;
}

/**
 * How long check() waits for the session to answer. A connection whose peer vanished without a FIN or
 * RST (a network cut, a failover) answers nothing, and TCP keepalive notices only after its system
 * delay (two hours on Linux by default): meanwhile the leader would go on leading unchecked, while
 * PostgreSQL may already have let another process take the lock.
 */
export const LEASE_CHECK_TIMEOUT_MS = 10_000;

/** The SQL both drivers run, on the session that holds the lock. */
interface LockSession {
  /** One boolean answer: `select <fn>(hashtext($1)) as ok`. */
  ask(fn: 'pg_try_advisory_lock' | 'pg_advisory_unlock', name: string): Promise<boolean>;
  /** Rejects when the session doesn't answer within `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  end(): Promise<void>;
  isOpen(): boolean;
}

export interface AdvisoryLockOptions {
  /** How long check() waits for an answer (LEASE_CHECK_TIMEOUT_MS when omitted). */
  checkTimeoutMs?: number;
  /**
   * PostgreSQL ends the lock's session (and frees the lock) after it sat idle this long: the holder
   * must check() more often than that. Why: when the network between holder and database is cut
   * silently, the holder gives the lock up at its next check, but the server keeps the session, idle,
   * and the lock with it, until its TCP keepalive gives up (over two hours by default): no process
   * could take the lock meanwhile. Omitted: no limit. PostgreSQL 14 and later (older ones ignore it).
   */
  idleSessionTimeoutMs?: number;
}

/**
 * Takes the advisory lock named `name` if no other session holds it; null when one does.
 *
 * Session-level, not `pg_try_advisory_xact_lock`: the lock is meant to be held across work that runs
 * on other connections and calls Stripe (no network call inside a transaction), for as long as a
 * process leads; a transaction lock would keep a transaction open all that time. A session lock is
 * released by the session that took it, so the lock and the unlock must run on the same connection:
 * - PostgreSQL: a dedicated connection of its own, not one of the pool's. Held for hours, it would take
 *   a pool slot for good (and the pool's lost-client recovery assumes short checkouts). When it drops,
 *   PostgreSQL releases the lock and another process can take it.
 * - PGlite: the process's only session. Embedded means one process by construction; advisory locks
 *   nest within a session, so this always succeeds there, and unlock pairs with each lock.
 * The lock is per database (PostgreSQL scopes advisory locks to the current database).
 */
export async function tryAdvisoryLock(
  db: Database,
  name: string,
  options: AdvisoryLockOptions = {},
): Promise<AdvisoryLease | null> {
  const checkTimeoutMs = options.checkTimeoutMs ?? LEASE_CHECK_TIMEOUT_MS;
  const session = await openSession(db, options.idleSessionTimeoutMs);
  let isLocked: boolean;
  try {
    isLocked = await session.ask('pg_try_advisory_lock', name);
  } catch (error) {
    await session.end();
    throw error;
  }
  if (!isLocked) {
    await session.end();
    return null;
  }
  let isHeld = true;
  return {
    isHeld: () => isHeld && session.isOpen(),
    async check() {
      if (!isHeld || !session.isOpen()) return (isHeld = false);
      try {
        await session.ping(checkTimeoutMs);
        return true;
      } catch {
        isHeld = false;
        // Not awaited: ending a session whose peer vanished waits for that peer too.
        void session.end();
        return false;
      }
    },
    async release() {
      if (!isHeld) return;
      isHeld = false;
      try {
        if (session.isOpen()) await session.ask('pg_advisory_unlock', name);
      } catch {
        // The session is gone, and the lock with it.
      } finally {
        await session.end();
      }
    },
  };
}

async function openSession(db: Database, idleSessionTimeoutMs?: number): Promise<LockSession> {
  const pool = postgresPoolOf(db);
  if (!pool) return pgliteSession(db);
  const client = new pg.Client(pool.options);
  let isOpen = true;
  // Without a listener, a lost connection's 'error' event would end the process.
  client.on('error', () => {
    isOpen = false;
  });
  client.on('end', () => {
    isOpen = false;
  });
  await client.connect();
  if (idleSessionTimeoutMs !== undefined) await limitIdleSession(client, idleSessionTimeoutMs);
  return {
    async ask(fn, name) {
      const result = await client.query<{ ok: boolean }>(`select ${fn}(hashtext($1)) as ok`, [name]);
      return result.rows[0]?.ok === true;
    },
    async ping(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([client.query('select 1'), timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
    async end() {
      if (!isOpen) return;
      isOpen = false;
      await client.end().catch(() => {});
    },
    isOpen: () => isOpen,
  };
}

async function limitIdleSession(client: pg.Client, timeoutMs: number): Promise<void> {
  try {
    await client.query(`select set_config('idle_session_timeout', $1, false)`, [`${Math.ceil(timeoutMs)}ms`]);
  } catch (error) {
    // PostgreSQL before 14 has no such setting: the lock works as before, only a silently cut session
    // keeps it until the server's TCP keepalive gives up. Anything else is a real failure.
    if ((error as { code?: unknown }).code !== '42704') {
      await client.end().catch(() => {});
      throw error;
    }
  }
}

function pgliteSession(db: Database): LockSession {
  return {
    async ask(fn, name) {
      const statement =
        fn === 'pg_try_advisory_lock'
          ? sql`select pg_try_advisory_lock(hashtext(${name})) as ok`
          : sql`select pg_advisory_unlock(hashtext(${name})) as ok`;
      const [row] = await queryRows<{ ok: boolean }>(db, statement);
      return row?.ok === true;
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async end() {},
    isOpen: () => true,
  };
}
