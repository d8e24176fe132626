import type { Logger, Services } from '@tollgate/api';
import type { EmailWorker } from '@tollgate/api';
import { startPeriodicPass } from './periodic-pass';

/** Drains the email outbox. */
export function startEmailOutbox(worker: EmailWorker, intervalMs: number, logger: Logger) {
  return startPeriodicPass(
    intervalMs,
    async () => {
      const result = await worker.drain();
      if (result.sent + result.failed + result.retried > 0)
        logger.info('email outbox drained', { ...result });
    },
    logger,
    'email outbox pass',
  );
}

/** Trial and dunning reminders, the last notice at the end of grace, and usage alerts a crash missed. */
export function startNotificationClock(services: Services, intervalMs: number, logger: Logger) {
  return startPeriodicPass(
    intervalMs,
    async () => {
      // Three independent sweeps: one failing (its database statement, Stripe) doesn't skip the others.
      const sweeps: Array<[string, () => Promise<unknown>]> = [
        ['billing reminders', () => services.billingReminders.runOnce()],
        ['usage alerts', () => services.usageAlerts.sweep()],
        // Automatic purchases whose charge went unanswered: charged again under the same key (once).
        ['auto top-up', async () => services.autoTopUp?.sweep()],
      ];
      for (const [name, sweep] of sweeps) {
        try {
          await sweep();
        } catch (error) {
          logger.error(`notification clock: ${name} failed; tried again on the next pass`, {
            error: String(error),
          });
        }
      }
    },
    logger,
    'notification clock pass',
  );
}

/** Reconciles the recent periods' meter totals with the journal at most this often (per process). */
const METER_RECONCILE_EVERY_MS = 60 * 60 * 1000;
/** Stripe refuses meter events older than 35 days: periods that ended before can't be repaired. */
const METER_RECONCILE_WINDOW_MS = 35 * 24 * 60 * 60 * 1000;

/**
 * Reports overage to Stripe's meter: each pass flushes the journal into batches and delivers them (any
 * number of processes: batches are claimed with SKIP LOCKED and a lease, one per account at a time);
 * hourly, the recent periods are compared with Stripe's meter summaries and repaired.
 */
export function startMeterReporting(services: Services, intervalMs: number, logger: Logger, now: () => Date) {
  const stripe = services.stripe;
  if (!stripe) return { stop: async () => {} };
  let lastReconciled = 0;
  return startPeriodicPass(
    intervalMs,
    async () => {
      const result = await stripe.meterReporter.runOnce();
      if (result.flushed.length + result.delivered + result.abandoned > 0) {
        logger.info('overage reported to the meter', {
          batches: result.flushed.length,
          delivered: result.delivered,
          retried: result.retried,
          abandoned: result.abandoned,
        });
      }
      const at = now().getTime();
      if (at - lastReconciled >= METER_RECONCILE_EVERY_MS) {
        lastReconciled = at;
        await stripe.meterReconciliation.reconcileRecent({
          endedAfter: new Date(at - METER_RECONCILE_WINDOW_MS),
        });
      }
    },
    logger,
    'meter reporting pass',
  );
}
