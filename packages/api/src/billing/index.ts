import { AppError } from '@tollgate/domain';
import type { ApiDeps } from '../config';
import type { SubscriptionService } from '../services/subscription-service';
import { createBillingService } from './billing-service';
import { createEnterpriseDeals } from './enterprise-deals';
import { createMeterReconciliation } from './meter-reconciliation';
import { createMeterReporter } from './meter-reporter';
import { createOverageItems } from './overage-items';
import { createReconciler } from './reconcile';
import { createRunPackPurchases } from './run-pack-purchases';
import { createSeatSync } from './seat-sync';
import type { BillingSettings } from './stripe-settings';
import { createSubscriptionSync } from './subscription-sync';
import { createWebhookHandler } from './webhook-handler';

/** Everything Stripe-facing, built once when the server has Stripe settings. */
export function createStripeBilling(
  deps: ApiDeps,
  settings: BillingSettings,
  subscriptions: SubscriptionService,
) {
  const sync = createSubscriptionSync(deps, settings);
  const billing = createBillingService(deps, settings, subscriptions);
  const packs = createRunPackPurchases(deps, settings.stripe, subscriptions, billing.ensureCustomer);
  const webhooks = createWebhookHandler(deps, settings, sync, packs);
  const seats = createSeatSync(deps, settings, sync);
  const meterReporter = createMeterReporter({ ...deps, billing: settings });
  const meterReconciliation = createMeterReconciliation({
    ...deps,
    billing: settings,
    reporter: meterReporter,
  });
  return {
    ...billing,
    /** Run packs: Checkout in payment mode; credited and clawed back by the webhook. */
    createPackCheckout: packs.createPackCheckout,
    /** ENTERPRISE deals: a price made for the account and its subscription (card or invoice). */
    enterpriseDeals: createEnterpriseDeals(deps, settings, sync, billing.ensureCustomer),
    sync,
    /**
     * Applies a verified delivery. On `invoice.created` (Stripe finalizes the draft about an hour later)
     * the customer's overage is flushed and delivered at once, after the answer, so every batch of the
     * period reaches the meter before the invoice is final.
     */
    async handleWebhook(rawBody: Buffer, signature: string | undefined) {
      const outcome = await webhooks.handleWebhook(rawBody, signature);
      if (outcome.type === 'invoice.created' && outcome.status !== 'duplicate') {
        const customer = invoiceCustomerOf(rawBody);
        if (customer) {
          meterReporter.flushBeforeInvoice(customer).catch((error: unknown) =>
            deps.logger.warn('overage flush before the invoice failed; the periodic pass retries', {
              customer,
              error: String(error),
            }),
          );
        }
      }
      return outcome;
    },
    /** Applies a webhook recorded as a permanent failure again, re-fetched from Stripe (operators). */
    replayWebhook: webhooks.replay,
    /** The bound on concurrent webhook database work (stats for tests and diagnostics). */
    webhookConcurrency: webhooks.concurrency,
    reconcile: createReconciler(deps, settings, sync, seats),
    /** A team account's Stripe quantity follows its member count (after changes, periodically). */
    seats,
    /** The metered overage item on each subscription whose account turned overage on (periodically). */
    overageItems: createOverageItems(deps, settings, sync),
    /** Overage journal → Stripe meter events (periodic pass), and the per-period comparison with Stripe. */
    meterReporter,
    meterReconciliation,
  };
}

/** The customer of an `invoice.created` event's invoice (the body was verified by handleWebhook). */
function invoiceCustomerOf(rawBody: Buffer): string | null {
  try {
    const event = JSON.parse(rawBody.toString('utf8')) as { data?: { object?: { customer?: unknown } } };
    const customer = event.data?.object?.customer;
    return typeof customer === 'string' ? customer : null;
  } catch {
    return null;
  }
}

export type StripeBilling = ReturnType<typeof createStripeBilling>;

export function requireStripeBilling(billing: StripeBilling | null): StripeBilling {
  if (!billing) throw new AppError('BAD_REQUEST', 'Stripe billing is not configured on this server');
  return billing;
}
