import type { Logger, Services } from '@tollgate/api';
import { startPeriodicPass } from './periodic-pass';

/**
 * Puts the metered overage item on every live subscription whose account turned overage on and that
 * lacks it (a resubscribe makes a new subscription with the plan's price only; every account once after
 * migration 0014), every OVERAGE_ITEM_INTERVAL_SECONDS. Until then the account's
 * overage is refused, never admitted unbilled. Only with Stripe billing configured. Safe twice at once:
 * the item is created under an idempotency key per subscription and recorded from what Stripe confirms.
 */
export function startOverageItemWorker(services: Services, intervalMs: number, logger: Logger) {
  const overageItems = services.stripe?.overageItems;
  if (!overageItems) return { stop: async () => {} };
  return startPeriodicPass(
    intervalMs,
    async () => {
      const { checked, attached, failed } = await overageItems.attachMissing();
      if (checked > 0) logger.info('overage item pass', { checked, attached, failed });
    },
    logger,
    'overage item pass',
  );
}
