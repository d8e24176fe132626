import type { Logger, Services } from '@tollgate/api';
import { startPeriodicPass } from './periodic-pass';

/**
 * Keeps team accounts' Stripe seat quantities on their member counts: every SEAT_SYNC_INTERVAL_SECONDS
 * it re-sends the count of each account whose quantity Stripe confirmed differs from it (a sync after a
 * membership change that failed, or lost a race with a later change). Only with Stripe billing
 * configured. Every server process may run it: the count is sent absolutely under an idempotency key
 * named after the membership version, so two passes at once make one change at Stripe.
 */
export function startSeatSyncWorker(services: Services, intervalMs: number, logger: Logger) {
  const seats = services.stripe?.seats;
  if (!seats) return { stop: async () => {} };
  return startPeriodicPass(
    intervalMs,
    async () => {
      const { checked, updated, failed } = await seats.syncDrifted();
      // One line per pass, also when nothing drifted: it says which replica syncs (the leader, see
      // leadership.ts) and that it syncs once per interval; the deploy tests count these lines.
      logger.info('seat sync pass', { checked, updated, failed });
    },
    logger,
    'seat sync pass',
  );
}
