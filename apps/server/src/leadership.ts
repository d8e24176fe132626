import type { Logger } from '@tollgate/api';
import { LEASE_CHECK_TIMEOUT_MS, tryAdvisoryLock, type AdvisoryLease, type Database } from '@tollgate/db';

/**
 * One leader among the server processes on one database, for the periodic passes that should run once
 * per interval across replicas (not once per replica): the process holding the PostgreSQL advisory lock
 * `name` runs them; the others keep trying every `checkIntervalMs` and take over when the leader's
 * session ends (it stopped, crashed, or lost its connection: PostgreSQL drops the lock with it).
 *
 * Why a lock held for the whole leadership, not one per pass: a try-lock around each pass only keeps
 * passes from overlapping. Replicas tick at different moments, so each would still run its own pass
 * every interval, one after the other. Held across passes, the lock makes one process do the work.
 *
 * A leader notices a lost session at its next check, so two processes may briefly both run passes
 * around a failover: every pass led here is also safe to run twice at once (see server.ts), the lock
 * saves the duplicate work and the duplicate Stripe calls.
 *
 * On the embedded PGlite there is one process, which always leads (same code path, see tryAdvisoryLock).
 */
export interface Leadership {
  isLeader(): boolean;
  /** Stops checking, stops the leader's work (waiting for passes under way), then lets go of the lock. */
  stop(): Promise<void>;
}

export interface LeadershipOptions {
  db: Database;
  name: string;
  checkIntervalMs: number;
  logger: Logger;
  /** Starts the leader's work; returns how to stop it (resolving once passes under way finished). */
  lead(): { stop(): Promise<void> };
}

/**
 * How long PostgreSQL keeps the leader's lock session once it stops hearing from it (see
 * tryAdvisoryLock's idleSessionTimeoutMs): after a silent network cut, another replica can lead once
 * this has passed, not hours later. The leader checks every interval; a check that gets no answer gives
 * up after LEASE_CHECK_TIMEOUT_MS and the leader steps down. Twice that sum: the old leader has stopped
 * before the server lets the lock go, with the same again as a margin for a busy process.
 */
export function leaderSessionTimeoutMs(options: Pick<LeadershipOptions, 'checkIntervalMs'>): number {
  return 2 * (options.checkIntervalMs + LEASE_CHECK_TIMEOUT_MS);
}

/** Tries once before returning (a lone server leads from its first moment), then every interval. */
export async function startLeadership(options: LeadershipOptions): Promise<Leadership> {
  const { db, name, logger } = options;
  let lease: AdvisoryLease | null = null;
  let work: { stop(): Promise<void> } | null = null;
  let hasFailedToAsk = false;

  async function stepDown(): Promise<void> {
    const stopping = work;
    work = null;
    await stopping?.stop();
    const held = lease;
    lease = null;
    await held?.release();
  }

  async function check(): Promise<void> {
    if (lease) {
      if (await lease.check()) return;
      logger.warn('lost the database session that made this process leader; stopping periodic passes', {
        leadership: name,
      });
      await stepDown();
    }
    try {
      lease = await tryAdvisoryLock(db, name, { idleSessionTimeoutMs: leaderSessionTimeoutMs(options) });
      hasFailedToAsk = false;
    } catch (error) {
      // The database is away: say so once, keep asking.
      if (!hasFailedToAsk)
        logger.warn('could not ask for leadership', { leadership: name, error: String(error) });
      hasFailedToAsk = true;
      return;
    }
    if (!lease) return;
    logger.info('this process leads the periodic passes', { leadership: name });
    work = options.lead();
  }

  await check();
  let checking: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (checking) return;
    checking = check()
      .catch((error: unknown) =>
        logger.warn('leadership check failed', { leadership: name, error: String(error) }),
      )
      .finally(() => {
        checking = null;
      });
  }, options.checkIntervalMs);
  timer.unref();

  return {
    isLeader: () => lease?.isHeld() ?? false,
    async stop() {
      clearInterval(timer);
      await checking;
      await stepDown();
    },
  };
}
