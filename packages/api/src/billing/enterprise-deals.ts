import {
  appendAudit,
  claimDealMaking,
  ensureFreeSubscription,
  findAccount,
  findUserById,
  getAccountOverrides,
  getSubscription,
  insertEnterpriseDeal,
  listDuplicateSubscriptionsOfAccount,
  releaseDealMaking,
  setEnterpriseDealSubscription,
  type AccountRow,
  type Database,
} from '@tollgate/db';
import {
  AppError,
  isLiveStatus,
  parseStripeSubscription,
  subscriptionStatusSchema,
  type SubscriptionState,
  type SubscriptionStatus,
} from '@tollgate/domain';
import Stripe from 'stripe';
import type { ApiDeps } from '../config';
import type { EnterpriseDeal, EnterpriseDealInput } from '../schemas/console-schemas';
import { createOverrideService, type StaffActor } from '../services/override-service';
import type { Tenant } from '../tenant';
import { releaseScheduledChange } from './scheduled-changes';
import type { BillingSettings } from './stripe-settings';
import { ownerOfAccount } from './stripe-owner';
import type { SubscriptionSync } from './subscription-sync';

/**
 * ENTERPRISE deals: a price made at Stripe for one account (its amount and interval), recorded with
 * the deal's run limit before any subscription uses it, so the catalog mapping reads it as ENTERPRISE
 * (never an unknown price) and the sync gives the account that limit while a subscription on it is the
 * account's (it ends with the subscription). Then the account's subscription: the live one Stripe has
 * switched to the deal's price, or a new one billed by card or by invoice. Synced at once; the webhooks
 * that follow converge on the same state. One audit row per deal. A new subscription whose first
 * payment fails (a declined card) is incomplete: the deal answers so and changes nothing on the account
 * (Stripe ends it as incomplete_expired unless the customer pays its invoice).
 *
 * A retry after a lost answer must not bill twice: the live subscription is looked up at Stripe (the
 * stored row may not know the first attempt's yet), so a retry moves it instead of making a second;
 * with the console's `idempotencyKey`, the retry also finds the same price and writes no second audit.
 */
/**
 * How long one deal may take before another may start for the account (its maker crashed): longer
 * than its Stripe calls can take, each bounded by the SDK's timeout and retries.
 */
const DEAL_CLAIM_MS = 5 * 60_000;
const DEAL_RETRY_AFTER_SECONDS = 5;

export function createEnterpriseDeals(
  deps: ApiDeps,
  settings: BillingSettings,
  sync: SubscriptionSync,
  ensureCustomer: (tenant: Tenant) => Promise<string>,
) {
  const { stripe } = settings;
  const { db, now } = deps;
  const overrides = createOverrideService(deps);

  async function create(input: EnterpriseDealInput, actor: StaffActor): Promise<EnterpriseDeal> {
    const isInvoiced = input.collection === 'send_invoice';
    if (isInvoiced !== (input.daysUntilDue !== undefined)) {
      throw new AppError(
        'BAD_REQUEST',
        isInvoiced
          ? 'daysUntilDue is required to bill by invoice'
          : 'daysUntilDue is only for billing by invoice',
      );
    }
    const account = await findAccount(db, input.accountId);
    if (!account) throw new AppError('NOT_FOUND', `No account ${input.accountId}`);
    await ensureFreeSubscription(db, account.id, now());
    // On PostgreSQL's clock, not this replica's: replicas whose clocks differ agree on who holds it.
    const claimedUntil = await claimDealMaking(db, account.id, DEAL_CLAIM_MS);
    if (!claimedUntil) {
      // Nothing was done: the same request may come again (429, not a refusal). A retry of that very
      // deal (its answer lost) then answers it; another deal then moves its subscription.
      throw new AppError(
        'TOO_MANY_REQUESTS',
        'A deal for this account is being made: send the request again in a few seconds',
        { retryAfterSeconds: DEAL_RETRY_AFTER_SECONDS },
      );
    }
    try {
      return await make(account, input, actor);
    } finally {
      await releaseDealMaking(db, account.id, claimedUntil);
    }
  }

  async function make(
    account: AccountRow,
    input: EnterpriseDealInput,
    actor: StaffActor,
  ): Promise<EnterpriseDeal> {
    const isInvoiced = input.collection === 'send_invoice';
    return withStripeErrors(async () => {
      const customer = await ensureCustomer({
        accountId: account.id,
        userId: account.createdByUserId,
        kind: account.kind,
      });
      if (isInvoiced) await ensureInvoiceEmail(customer, account);
      const key = input.idempotencyKey;
      const price = await stripe.prices.create(
        {
          currency: 'usd',
          unit_amount: input.priceCents,
          recurring: { interval: input.interval },
          product_data: { name: `Tollgate ENTERPRISE: ${account.name ?? account.id}` },
          metadata: { tollgatePlan: 'ENTERPRISE', accountId: account.id },
        },
        key === undefined ? {} : { idempotencyKey: `tollgate-enterprise-price-${account.id}-${key}` },
      );
      const recorded = await insertEnterpriseDeal(db, {
        accountId: account.id,
        stripePriceId: price.id,
        priceCents: input.priceCents,
        interval: input.interval,
        runLimit: input.runLimit,
        collection: input.collection,
        daysUntilDue: input.daysUntilDue ?? null,
        createdBy: actor.userId,
      });
      // Stripe compared what it was sent (the price); the rest of the deal is compared here.
      const isSameDeal =
        recorded.runLimit === input.runLimit &&
        recorded.collection === input.collection &&
        recorded.daysUntilDue === (input.daysUntilDue ?? null);
      if (!isSameDeal) throw reusedKey();
      const collection = {
        collection_method: input.collection,
        ...(isInvoiced ? { days_until_due: input.daysUntilDue } : {}),
      };
      const stored = await getSubscription(db, account.id);
      const live = await liveSubscriptionAtStripe(account.id, customer, stored?.stripeSubscriptionId ?? null);
      const subscription = live
        ? await switchToDeal(live, stored?.stripePriceId ?? null, price.id, collection)
        : await stripe.subscriptions.create(
            {
              customer,
              items: [{ price: price.id }],
              ...collection,
              metadata: { accountId: account.id },
              expand: ['latest_invoice'],
            },
            { idempotencyKey: `tollgate-enterprise-deal-${price.id}` },
          );
      // The deal's own subscription's status, not the account's: a new subscription whose first payment
      // failed is incomplete while the account stays as it was.
      const answered = subscriptionStatusSchema.catch('incomplete').parse(subscription.status);
      await recordDeal(input, actor, price.id, subscription.id, answered);
      const synced = await sync.sync(subscription.id, ownerOfAccount(account.id));
      const invoice = subscription.latest_invoice;
      return {
        accountId: account.id,
        stripePriceId: price.id,
        stripeSubscriptionId: subscription.id,
        status: currentStatus(subscription.id, answered, synced?.after ?? null),
        runLimit: input.runLimit,
        priceCents: input.priceCents,
        interval: input.interval,
        collection: input.collection,
        hostedInvoiceUrl:
          typeof invoice === 'object' && invoice ? (invoice.hosted_invoice_url ?? null) : null,
      };
    });
  }

  /**
   * Stripe sends an invoice only to a customer with an email ("Missing email…" otherwise). A team's
   * customer made before customers got their account creator's email has none: it gets that one.
   */
  async function ensureInvoiceEmail(customerId: string, account: AccountRow): Promise<void> {
    const customer = await stripe.customers.retrieve(customerId);
    if (customer.deleted || customer.email) return;
    const creator = await findUserById(db, account.createdByUserId);
    if (creator?.email) await stripe.customers.update(customerId, { email: creator.email });
  }

  /**
   * The customer's live subscription as Stripe has it (the stored one when it is live, else the newest
   * live one that isn't a duplicate being canceled), or null: one the stored row doesn't know yet (an
   * earlier attempt whose answer was lost, a Checkout whose webhook hasn't arrived) is switched, not
   * doubled.
   */
  async function liveSubscriptionAtStripe(
    accountId: string,
    customer: string,
    storedId: string | null,
  ): Promise<Stripe.Subscription | null> {
    const listed = await stripe.subscriptions.list({ customer, limit: 100 });
    const duplicates = await listDuplicateSubscriptionsOfAccount(db, accountId);
    const duplicateIds = new Set(duplicates.map((duplicate) => duplicate.canceledStripeSubscriptionId));
    const live = listed.data.filter(
      (subscription) =>
        isLiveStatus(parseStripeSubscription(subscription).status) && !duplicateIds.has(subscription.id),
    );
    return live.find((subscription) => subscription.id === storedId) ?? live[0] ?? null;
  }

  /**
   * The deal's subscription and, once (a retry that finds the deal already recorded changes nothing),
   * its audit row, in one transaction. The deal's limit is the subscription's (the sync sets it while
   * the subscription is the account's), so a run limit override set before (a support gesture, an
   * earlier deal's) is cleared when the deal takes effect, or it would stay on top of the deal's limit.
   * A deal whose subscription isn't live (incomplete: its first payment failed or waits for the
   * customer) grants nothing yet, and expired it never will: the account keeps its override, and the
   * audit row records the deal made at Stripe with the status it got.
   */
  async function recordDeal(
    input: EnterpriseDealInput,
    actor: StaffActor,
    stripePriceId: string,
    stripeSubscriptionId: string,
    status: SubscriptionStatus,
  ): Promise<void> {
    const isInEffect = isLiveStatus(status);
    await db.transaction(async (tx) => {
      const isFirst = await setEnterpriseDealSubscription(
        tx,
        input.accountId,
        stripePriceId,
        stripeSubscriptionId,
      );
      if (!isFirst) return;
      const deal = {
        runLimit: input.runLimit,
        stripePriceId,
        stripeSubscriptionId,
        priceCents: input.priceCents,
        interval: input.interval,
        collection: input.collection,
        status,
      };
      const audit = { accountId: input.accountId, action: 'enterprise_deal', reason: input.reason };
      if (!isInEffect) {
        await auditPendingDeal(tx, actor, audit, deal);
        return;
      }
      // Cleared with the deal's audit row, and the period's limit written, as any override change is.
      await overrides.changeIn(
        tx,
        actor,
        { ...audit, change: { runLimit: null }, auditDetail: { deal } },
        now(),
      );
    });
  }

  /**
   * The audit row of a deal that isn't in effect: what was made at Stripe and by whom, next to the
   * overrides it leaves as they are (the account's overrides row isn't touched).
   */
  async function auditPendingDeal(
    tx: Database,
    actor: StaffActor,
    audit: { accountId: string; action: string; reason: string },
    deal: Record<string, unknown>,
  ): Promise<void> {
    const current = await getAccountOverrides(tx, audit.accountId);
    await appendAudit(tx, {
      ...audit,
      actorUserId: actor.userId,
      actorRole: actor.role,
      requestId: actor.requestId,
      before: current,
      after: { ...current, deal },
      at: now(),
    });
  }

  /** The live subscription's plan item moves to the deal's price from now on (no proration). */
  async function switchToDeal(
    live: Stripe.Subscription,
    planPriceId: string | null,
    priceId: string,
    collection: Stripe.SubscriptionUpdateParams,
  ): Promise<Stripe.Subscription> {
    // The plan's item, not a metered item next to it.
    const planItem = live.items.data.find((item) => item.price.id === planPriceId) ?? live.items.data[0];
    if (!planItem) throw new AppError('CONFLICT', `Subscription ${live.id} has no item to move to the deal`);
    // A downgrade the customer scheduled in the portal would put its price back at the period end.
    await releaseScheduledChange(stripe, live);
    return stripe.subscriptions.update(live.id, {
      // A deal is one price for the account: a TEAM subscription's seat count would multiply it.
      items: [{ id: planItem.id, price: priceId, quantity: 1 }],
      proration_behavior: 'none',
      // The deal replaces whatever the customer had scheduled: a cancellation at period end set in the
      // Customer Portal would otherwise end the deal with it.
      cancel_at_period_end: false,
      ...collection,
      expand: ['latest_invoice'],
    });
  }

  return { create };
}

/**
 * Stripe's refusals are the operator's to read (a 400 with Stripe's message: no card on file, a
 * declined card). Stripe unreachable or failing for a moment is left to the common rule (errors.ts:
 * 503 with Retry-After): sending the deal again is safe, it switches the subscription the first
 * attempt made instead of making a second.
 */
async function withStripeErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    // Stripe compared the price it was sent with the first request under this key: another one.
    if (error instanceof Stripe.errors.StripeIdempotencyError) throw reusedKey();
    if (
      error instanceof Stripe.errors.StripeCardError ||
      error instanceof Stripe.errors.StripeInvalidRequestError
    ) {
      throw new AppError('BAD_REQUEST', `Stripe refused: ${error.message}`);
    }
    throw error;
  }
}

/**
 * The deal subscription's status as the sync just fetched it, when the account holds that subscription
 * (fresher than Stripe's answer, which a retry under the same idempotency key gets replayed), else
 * Stripe's answer (an incomplete subscription is never the account's).
 */
function currentStatus(
  subscriptionId: string,
  answered: SubscriptionStatus,
  after: SubscriptionState | null,
): SubscriptionStatus {
  return after?.stripeSubscriptionId === subscriptionId ? after.status : answered;
}

const reusedKey = () =>
  new AppError('CONFLICT', 'This idempotencyKey was used for another deal: send a new key');

export type EnterpriseDeals = ReturnType<typeof createEnterpriseDeals>;
