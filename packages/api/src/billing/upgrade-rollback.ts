import { PLAN_IDS, PLANS, parseStripeInvoice, type PlanId } from '@tollgate/domain';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { Logger } from '../logger';
import { planForPrice, type BillingSettings } from './stripe-settings';
import { parsePermanently } from './webhook-errors';

/**
 * What became of a failed `subscription_update` invoice:
 * - `not_a_plan_upgrade`: not a switch to a higher self-serve plan (a seat or deal change, a downgrade,
 *   a price Tollgate doesn't sell): left to Stripe's retries and the payment grace;
 * - `paid`: paid after all (a retry or a new card won the race): the upgrade stands;
 * - `superseded`: the subscription moved on since (a newer invoice, another price, canceled);
 * - `rolled_back`: the invoice is void and the subscription is back on the price that was paid.
 */
export type UpgradeRollbackOutcome = 'not_a_plan_upgrade' | 'paid' | 'superseded' | 'rolled_back';

/**
 * An invoice line as either API shape has it: since 2025-03-31 (basil) the price is in
 * pricing.price_details and proration/subscription_item in parent.subscription_item_details; before,
 * on the line itself (price.id, proration, subscription_item).
 */
const lineSchema = z.object({
  amount: z.number(),
  proration: z.boolean().nullish(),
  subscription_item: z.string().nullish(),
  price: z.object({ id: z.string() }).nullish(),
  pricing: z
    .object({
      price_details: z
        .object({ price: z.union([z.string(), z.object({ id: z.string() })]).nullish() })
        .nullish(),
    })
    .nullish(),
  parent: z
    .object({
      subscription_item_details: z
        .object({ proration: z.boolean().nullish(), subscription_item: z.string().nullish() })
        .nullish(),
    })
    .nullish(),
});

interface ProrationLine {
  amount: number;
  priceId: string;
  subscriptionItemId: string | null;
}

function prorationLineOf(line: unknown): ProrationLine | null {
  const parsed = lineSchema.safeParse(line);
  if (!parsed.success) return null;
  const { data } = parsed;
  const details = data.parent?.subscription_item_details;
  const isProration = details?.proration ?? data.proration ?? false;
  const priced = data.pricing?.price_details?.price;
  const priceId = (typeof priced === 'string' ? priced : priced?.id) ?? data.price?.id ?? null;
  if (!isProration || priceId === null) return null;
  return {
    amount: data.amount,
    priceId,
    subscriptionItemId: details?.subscription_item ?? data.subscription_item ?? null,
  };
}

/** The switch an invoice of prorations bills: the credited ("Unused time on …") and the charged price. */
interface PriceSwitch {
  fromPriceId: string;
  toPriceId: string;
  subscriptionItemId: string | null;
}

function priceSwitchOf(lines: unknown[]): PriceSwitch | null {
  const prorations = lines.flatMap((line) => prorationLineOf(line) ?? []);
  const credited = new Set(prorations.filter((line) => line.amount < 0).map((line) => line.priceId));
  const charged = prorations.filter((line) => line.amount > 0);
  const chargedPrices = new Set(charged.map((line) => line.priceId));
  if (credited.size !== 1 || chargedPrices.size !== 1) return null;
  const [fromPriceId] = credited;
  const [toPriceId] = chargedPrices;
  if (!fromPriceId || !toPriceId || fromPriceId === toPriceId) return null;
  return { fromPriceId, toPriceId, subscriptionItemId: charged[0]?.subscriptionItemId ?? null };
}

/**
 * Only a switch between the catalog plans the portal offers, to a higher one (BASIC → PRO), is rolled
 * back. A seat quantity change (TEAM, seat-sync) credits and charges the same price, and an enterprise
 * deal's custom price is not a catalog plan: both stay as Stripe left them (open invoice, retries,
 * the payment grace), because a seat added or a deal signed is not undone by a declined card; the
 * operator or the account's owner settles those invoices.
 */
function isPortalPlanUpgrade(from: PlanId | null, to: PlanId | null): boolean {
  if (from === null || to === null) return false;
  const isPortalPlan = (plan: PlanId) => PLANS[plan].isSelfServe && !PLANS[plan].isSeatPriced;
  return isPortalPlan(from) && isPortalPlan(to) && PLAN_IDS.indexOf(to) > PLAN_IDS.indexOf(from);
}

const ROLLED_BACK_STATUSES = new Set(['open', 'uncollectible', 'void']);
const ENDED_STATUSES = new Set(['canceled', 'incomplete_expired']);

/**
 * The manual rollback Stripe documents for an update whose always_invoice payment failed
 * (docs.stripe.com/billing/subscriptions/pending-updates: "By default, updates are applied regardless
 * of whether payment on the new invoice succeeds. If payment fails, rolling back the updates is a
 * manual process."). The Customer Portal invoices a plan switch at once (always_invoice), so a card that
 * declines the upgrade would otherwise leave the subscription on the higher plan, past_due, and the
 * account with the higher plan's runs for the payment grace, then FREE for the rest of the month it
 * paid for. Instead: the upgrade invoice is voided (nothing owed, no retries; Stripe derives the
 * status from the latest invoice that is not void, so the subscription is active again) and the
 * subscription item goes back to the price it was switched from, without proration (that first). The sync that
 * follows (this event's, and the customer.subscription.updated Stripe sends) applies the plan paid for.
 *
 * Everything is read from Stripe first and each step is skipped once done, with idempotency keys made
 * from the invoice id, so a retry after a partial failure, a duplicate or a late delivery converge. Runs
 * outside any database transaction; a Stripe error is thrown (the webhook answers 500 and Stripe retries).
 */
export function createUpgradeRollback(settings: BillingSettings, logger: Logger) {
  const { stripe } = settings;

  async function linesOf(invoice: Stripe.Invoice): Promise<unknown[]> {
    if (!invoice.lines.has_more) return invoice.lines.data;
    return stripe.invoices.listLineItems(invoice.id, { limit: 100 }).autoPagingToArray({ limit: 10_000 });
  }

  async function rollBackDeclinedUpgrade(invoiceId: string): Promise<UpgradeRollbackOutcome> {
    const invoice = await stripe.invoices.retrieve(invoiceId);
    const parsed = parsePermanently(() => parseStripeInvoice(invoice));
    if (parsed.billingReason !== 'subscription_update' || !parsed.subscriptionId) return 'not_a_plan_upgrade';
    const change = priceSwitchOf(await linesOf(invoice));
    const isUpgrade =
      change !== null &&
      isPortalPlanUpgrade(
        planForPrice(settings, change.fromPriceId),
        planForPrice(settings, change.toPriceId),
      );
    if (!change || !isUpgrade) return 'not_a_plan_upgrade';
    const isPaid = invoice.status === 'paid';
    if (!isPaid && !ROLLED_BACK_STATUSES.has(invoice.status ?? 'draft')) return 'superseded';

    const subscription = await stripe.subscriptions.retrieve(parsed.subscriptionId);
    const latestInvoiceId =
      typeof subscription.latest_invoice === 'string'
        ? subscription.latest_invoice
        : (subscription.latest_invoice?.id ?? null);
    // A newer invoice (a renewal, another change) or an ended subscription: this upgrade is history.
    // Its open invoice is left to Stripe (retries, or the cancellation that stops them).
    if (latestInvoiceId !== invoice.id || ENDED_STATUSES.has(subscription.status)) {
      if (isPaid) return 'paid';
      logger.warn('declined plan upgrade not rolled back: the subscription moved on since', {
        invoiceId,
        subscriptionId: subscription.id,
        latestInvoiceId,
        status: subscription.status,
      });
      return 'superseded';
    }
    const item =
      subscription.items.data.find((candidate) => candidate.id === change.subscriptionItemId) ??
      subscription.items.data.find((candidate) => candidate.price.id === change.toPriceId);
    const isStillUpgraded = item?.price.id === change.toPriceId;
    const isAlreadyBack = item?.price.id === change.fromPriceId;
    if (!item || (!isStillUpgraded && !isAlreadyBack)) return isPaid ? 'paid' : 'superseded';

    /**
     * Paid after all (a retry or a new card won the race with this rollback): the upgrade stands, so a
     * price already switched back goes up again.
     */
    const keepUpgrade = async (): Promise<UpgradeRollbackOutcome> => {
      await stripe.subscriptions.update(
        subscription.id,
        { items: [{ id: item.id, price: change.toPriceId }], proration_behavior: 'none' },
        { idempotencyKey: `tollgate-upgrade-restore-${invoice.id}` },
      );
      logger.info('declined plan upgrade paid after all: kept', {
        invoiceId,
        subscriptionId: subscription.id,
      });
      return 'paid';
    };
    if (isPaid) return isStillUpgraded ? 'paid' : keepUpgrade();
    // Void already: this rollback voids only once the price is back, so an upgraded price next to a
    // void invoice is someone else's choice (an operator voiding it to let the upgrade through).
    if (invoice.status === 'void') return isStillUpgraded ? 'superseded' : 'rolled_back';
    // The price first: if the void then fails, the account is on the plan it paid for (past_due until
    // the retried delivery voids the invoice), never on the higher one with nothing owed.
    if (isStillUpgraded) {
      await stripe.subscriptions.update(
        subscription.id,
        { items: [{ id: item.id, price: change.fromPriceId }], proration_behavior: 'none' },
        { idempotencyKey: `tollgate-upgrade-revert-${invoice.id}` },
      );
    }
    if (invoice.status !== 'void') {
      try {
        await stripe.invoices.voidInvoice(
          invoice.id,
          {},
          { idempotencyKey: `tollgate-upgrade-void-${invoice.id}` },
        );
      } catch (error) {
        // Paid between the read and the void: undo the revert. Anything else: 500, Stripe redelivers.
        if ((await stripe.invoices.retrieve(invoice.id)).status !== 'paid') throw error;
        return keepUpgrade();
      }
    }
    logger.info('declined plan upgrade rolled back: invoice voided, previous price restored', {
      invoiceId,
      subscriptionId: subscription.id,
      fromPriceId: change.toPriceId,
      toPriceId: change.fromPriceId,
    });
    return 'rolled_back';
  }

  return { rollBackDeclinedUpgrade };
}

export type UpgradeRollback = ReturnType<typeof createUpgradeRollback>;
