import { getSubscription, listMissingOverageItems } from '@tollgate/db';
import { LIVE_SUBSCRIPTION_STATUSES, OVERAGE_PLAN_IDS } from '@tollgate/domain';
import type { ApiDeps } from '../config';
import { forEachAccountPage } from './account-pages';
import { ownerOfAccount } from './stripe-owner';
import type { BillingSettings } from './stripe-settings';
import type { SubscriptionSync } from './subscription-sync';

/** Accounts one pass reads at a time (it walks them all, in account order). */
const PAGE = 100;

/**
 * The metered overage price on an account's Stripe subscription, next to its plan: Stripe bills what
 * the meter summed for the period on the renewal invoice, so overage is admitted only on a subscription
 * that carries it (subscriptions.overage_item_subscription_id, see overageBillable). Added when the
 * account turns overage on, and by the periodic pass to a subscription that lacks it while overage is
 * on (a resubscribe makes a new subscription with the plan's price only). No transaction is open while
 * Stripe is called; the item is recorded only if the subscription is still the account's.
 */
export function createOverageItems(deps: ApiDeps, settings: BillingSettings, sync: SubscriptionSync) {
  const { db, logger } = deps;
  const { stripe } = settings;

  /**
   * Puts the item on the subscription (once: one already there is kept), then syncs the subscription:
   * the sync records the item from Stripe's own object (overageItemOf), fetched after the item was
   * added, so it also makes stale a sync that fetched before (which would write the item away again).
   * A sync ticket taken here without a fetch would instead make stale a sync that fetched a newer
   * state (a cancellation) and throw it away. An item created under this key and removed since (by
   * hand) is replayed, not made again: then the sync finds none, and this fails.
   */
  async function ensure(accountId: string, subscriptionId: string): Promise<boolean> {
    const overage = settings.overage;
    if (!overage) return false;
    const subscription = await stripe.subscriptions.retrieve(subscriptionId);
    if (!subscription.items.data.some((item) => item.price.id === overage.priceId)) {
      await stripe.subscriptionItems.create(
        { subscription: subscriptionId, price: overage.priceId },
        { idempotencyKey: `tollgate-overage-item-${subscriptionId}` },
      );
    }
    await sync.sync(subscriptionId, ownerOfAccount(accountId));
    const row = await getSubscription(db, accountId);
    // Another subscription became the account's meanwhile: it gets its own item in its turn.
    if (row?.stripeSubscriptionId !== subscriptionId) return false;
    if (row.overageItemSubscriptionId !== subscriptionId) {
      throw new Error(`the overage item of ${subscriptionId} is not on it at Stripe`);
    }
    return true;
  }

  /**
   * Every account with overage on whose live subscription isn't known to carry the item: checked at
   * Stripe, the item added where missing. A failure is logged and the pass goes on; the next pass
   * tries again (overage stays refused meanwhile, never admitted unbilled).
   */
  async function attachMissing(): Promise<{ checked: number; attached: number; failed: number }> {
    const counts = { checked: 0, attached: 0, failed: 0 };
    if (!settings.overage) return counts;
    await forEachAccountPage(
      PAGE,
      (afterAccountId, limit) =>
        listMissingOverageItems(db, {
          plans: OVERAGE_PLAN_IDS,
          liveStatuses: LIVE_SUBSCRIPTION_STATUSES,
          afterAccountId,
          limit,
        }),
      async (missing) => {
        counts.checked += 1;
        try {
          if (await ensure(missing.accountId, missing.stripeSubscriptionId)) counts.attached += 1;
        } catch (error) {
          counts.failed += 1;
          logger.warn('overage item not attached; tried again on the next pass', {
            ...missing,
            error: String(error),
          });
        }
      },
    );
    return counts;
  }

  return { ensure, attachMissing };
}

export type OverageItems = ReturnType<typeof createOverageItems>;
