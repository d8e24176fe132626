import { listStripeLinkedSubscriptions, unlinkStripeCustomer, type SubscriptionRow } from '@tollgate/db';
import type { ApiDeps } from '../config';
import { infallibleMetrics } from '../metrics';
import { isDeletedCustomer } from './stripe-customers';
import { isResourceMissing } from './stripe-errors';
import type { BillingSettings } from './stripe-settings';
import type { SeatSync } from './seat-sync';
import type { SubscriptionSync } from './subscription-sync';
import { ownerOfAccount } from './stripe-owner';

export interface ReconcileReport {
  accountsChecked: number;
  accountsCorrected: number;
  /** Of the corrected accounts, the earliest last-sync time: how long drift went unnoticed. */
  oldestUnsyncedChangeAt: Date | null;
  failures: { accountId: string; error: string }[];
}

/** autoPagingToArray needs a bound; far above any customer's real subscription count. */
const MAX_SUBSCRIPTIONS_PER_CUSTOMER = 10_000;

/**
 * Re-fetches every linked customer, and its subscriptions, from Stripe and corrects drift through the
 * same code path as webhooks (lost or failed deliveries, manual changes in the Stripe dashboard). A
 * customer Stripe deleted is unlinked as its customer.deleted event would have done (that event may be
 * the one lost), so the account's next checkout makes a new customer.
 */
export function createReconciler(
  deps: ApiDeps,
  settings: BillingSettings,
  sync: SubscriptionSync,
  seats: SeatSync,
) {
  const metrics = infallibleMetrics(deps.metrics);
  const { stripe } = settings;

  /** What the customer.deleted webhook does (unlinkStripeCustomer); true when this call unlinked it. */
  async function unlinkDeletedCustomer(row: SubscriptionRow, customerId: string): Promise<boolean> {
    const accountId = await unlinkStripeCustomer(deps.db, customerId, deps.now());
    if (accountId) {
      deps.logger.warn('stripe customer deleted, its webhook missed: unlinked from its account', {
        accountId: row.accountId,
        customerId,
      });
    }
    return accountId !== null;
  }

  /**
   * Every page: Stripe lists newest first, so one page of a customer with many ended subscriptions
   * (abandoned incomplete ones, plan-hopping) could miss the live one. A deleted customer's list may be
   * refused: its stored subscription (canceled with it) is then synced alone.
   */
  async function listSubscriptions(
    row: SubscriptionRow,
    customerId: string,
    isCustomerGone: boolean,
  ): Promise<{ id: string; created: number }[]> {
    try {
      return await stripe.subscriptions
        .list({ customer: customerId, status: 'all', limit: 100 })
        .autoPagingToArray({ limit: MAX_SUBSCRIPTIONS_PER_CUSTOMER });
    } catch (error) {
      if (!isCustomerGone || !isResourceMissing(error) || !row.stripeSubscriptionId) throw error;
      return [{ id: row.stripeSubscriptionId, created: 0 }];
    }
  }

  return async function reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = {
      accountsChecked: 0,
      accountsCorrected: 0,
      oldestUnsyncedChangeAt: null,
      failures: [],
    };
    for (const row of await listStripeLinkedSubscriptions(deps.db)) {
      if (!row.stripeCustomerId) continue;
      report.accountsChecked += 1;
      try {
        let isCorrected = false;
        const isCustomerGone = await isDeletedCustomer(stripe, row.stripeCustomerId);
        if (isCustomerGone) isCorrected = await unlinkDeletedCustomer(row, row.stripeCustomerId);
        const listed = await listSubscriptions(row, row.stripeCustomerId, isCustomerGone);
        if (listed.length >= MAX_SUBSCRIPTIONS_PER_CUSTOMER) {
          deps.logger.warn('stripe reconciliation read only the newest subscriptions of a customer', {
            accountId: row.accountId,
            read: listed.length,
          });
        }
        // Oldest first, so the newest live subscription is the one that ends up stored.
        const ordered = [...listed].sort((a, b) => a.created - b.created);
        for (const subscription of ordered) {
          try {
            const result = await sync.sync(subscription.id, ownerOfAccount(row.accountId));
            isCorrected ||= result?.isChanged ?? false;
          } catch (error) {
            // One subscription Stripe fails on (or one Tollgate can't read, an old ended one) doesn't
            // keep the customer's others, the live one among them, from being corrected.
            report.failures.push({ accountId: row.accountId, error: `${subscription.id}: ${String(error)}` });
          }
        }
        // A quantity changed by hand in the dashboard (or a change Stripe never confirmed) is set
        // back to the member count.
        isCorrected ||= (await seats.syncAccount(row.accountId)) === 'updated';
        if (isCorrected) {
          report.accountsCorrected += 1;
          const lastSync = row.stripeSyncedAt ?? row.updatedAt;
          if (!report.oldestUnsyncedChangeAt || lastSync < report.oldestUnsyncedChangeAt) {
            report.oldestUnsyncedChangeAt = lastSync;
          }
        }
      } catch (error) {
        report.failures.push({ accountId: row.accountId, error: String(error) });
      }
    }
    deps.logger.info('stripe reconciliation finished', { ...report });
    // Corrections are drift webhooks missed: an operator is alerted when they keep happening.
    metrics.reconciliation('stripe_subscriptions', {
      checked: report.accountsChecked,
      corrected: report.accountsCorrected,
      failed: report.failures.length,
    });
    return report;
  };
}
