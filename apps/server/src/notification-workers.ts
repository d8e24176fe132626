import type { Logger, Services } from '@tollgate/api';
import type { EmailWorker } from '@tollgate/api';

/**
 * Runs `pass` every `intervalMs` (never two at once); `stop` waits for the one under way. Each pass is
 * safe in any number of server processes: the outbox is claimed row by row (SKIP LOCKED), and every
 * notice the clock owes has a unique key.
 */
function every(intervalMs: number, pass: () => Promise<void>, logger: Logger, what: string) {
  if (intervalMs <= 0) return { stop: async () => {} };
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = pass()
      .catch((error: unknown) => logger.warn(`${what} failed; retrying next time`, { error: String(error) }))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/** Drains the email outbox. */
export function startEmailOutbox(worker: EmailWorker, intervalMs: number, logger: Logger) {
  return every(
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
  return every(
    intervalMs,
    async () => {
      await services.billingReminders.runOnce();
      await services.usageAlerts.sweep();
    },
    logger,
    'notification clock pass',
  );
}
