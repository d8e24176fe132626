import { AppError } from '@tollgate/domain';
import type { ApiDeps } from '../config';
import type { SubscriptionService } from '../services/subscription-service';
import { createBillingService } from './billing-service';
import { createReconciler } from './reconcile';
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
  const webhooks = createWebhookHandler(deps, settings, sync);
  const seats = createSeatSync(deps, settings, sync);
  return {
    ...createBillingService(deps, settings, subscriptions),
    sync,
    handleWebhook: webhooks.handleWebhook,
    /** Applies a webhook recorded as a permanent failure again, re-fetched from Stripe (operators). */
    replayWebhook: webhooks.replay,
    /** The bound on concurrent webhook database work (stats for tests and diagnostics). */
    webhookConcurrency: webhooks.concurrency,
    reconcile: createReconciler(deps, settings, sync, seats),
    /** A team account's Stripe quantity follows its member count (after changes, periodically). */
    seats,
  };
}

export type StripeBilling = ReturnType<typeof createStripeBilling>;

export function requireStripeBilling(billing: StripeBilling | null): StripeBilling {
  if (!billing) throw new AppError('BAD_REQUEST', 'Stripe billing is not configured on this server');
  return billing;
}
