import {
  findAccount,
  getSubscription,
  insertEnterpriseDeal,
  setEnterpriseDealSubscription,
} from '@tollgate/db';
import { AppError, isLiveStatus, subscriptionStatusSchema } from '@tollgate/domain';
import { TRPCError } from '@trpc/server';
import Stripe from 'stripe';
import type { ApiDeps } from '../config';
import type { EnterpriseDeal, EnterpriseDealInput } from '../schemas/console-schemas';
import type { Tenant } from '../tenant';
import type { BillingSettings } from './stripe-settings';
import { ownerOfAccount } from './stripe-owner';
import type { SubscriptionSync } from './subscription-sync';

/**
 * ENTERPRISE deals: a price made at Stripe for one account (its amount and interval), recorded before
 * any subscription uses it so the catalog mapping reads it as ENTERPRISE (never an unknown price), then
 * the account's subscription: a new one billed by card or by invoice, or the live one switched to the
 * deal's price. Synced at once; the webhooks that follow converge on the same state. The run limit is
 * the caller's to set (an audited override) once this succeeded.
 */
export function createEnterpriseDeals(
  deps: ApiDeps,
  settings: BillingSettings,
  sync: SubscriptionSync,
  ensureCustomer: (tenant: Tenant) => Promise<string>,
) {
  const { stripe } = settings;
  const { db } = deps;

  async function create(input: EnterpriseDealInput, createdBy: string): Promise<EnterpriseDeal> {
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
    return withStripeErrors(async () => {
      const customer = await ensureCustomer({
        accountId: account.id,
        userId: account.createdByUserId,
        kind: account.kind,
      });
      const price = await stripe.prices.create({
        currency: 'usd',
        unit_amount: input.priceCents,
        recurring: { interval: input.interval },
        product_data: { name: `Tollgate ENTERPRISE: ${account.name ?? account.id}` },
        metadata: { tollgatePlan: 'ENTERPRISE', accountId: account.id },
      });
      await insertEnterpriseDeal(db, {
        accountId: account.id,
        stripePriceId: price.id,
        priceCents: input.priceCents,
        interval: input.interval,
        runLimit: input.runLimit,
        collection: input.collection,
        daysUntilDue: input.daysUntilDue ?? null,
        createdBy,
      });
      const collection = {
        collection_method: input.collection,
        ...(isInvoiced ? { days_until_due: input.daysUntilDue } : {}),
      };
      const stored = await getSubscription(db, account.id);
      const live =
        stored?.stripeSubscriptionId && isLiveStatus(stored.status)
          ? await stripe.subscriptions.retrieve(stored.stripeSubscriptionId)
          : null;
      const subscription =
        live && live.status !== 'canceled'
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
      await setEnterpriseDealSubscription(db, account.id, price.id, subscription.id);
      const synced = await sync.sync(subscription.id, ownerOfAccount(account.id));
      const invoice = subscription.latest_invoice;
      return {
        accountId: account.id,
        stripePriceId: price.id,
        stripeSubscriptionId: subscription.id,
        status:
          synced?.after?.status ?? subscriptionStatusSchema.catch('incomplete').parse(subscription.status),
        runLimit: input.runLimit,
        priceCents: input.priceCents,
        interval: input.interval,
        collection: input.collection,
        hostedInvoiceUrl:
          typeof invoice === 'object' && invoice ? (invoice.hosted_invoice_url ?? null) : null,
      };
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
    return stripe.subscriptions.update(live.id, {
      items: [{ id: planItem.id, price: priceId }],
      proration_behavior: 'none',
      ...collection,
      expand: ['latest_invoice'],
    });
  }

  return { create };
}

/**
 * Stripe's refusals are the operator's to read (a 400 with Stripe's message: no card on file, a
 * declined card); Stripe being unreachable is a 502 that says nothing was decided.
 */
async function withStripeErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (
      error instanceof Stripe.errors.StripeCardError ||
      error instanceof Stripe.errors.StripeInvalidRequestError
    ) {
      throw new AppError('BAD_REQUEST', `Stripe refused: ${error.message}`);
    }
    if (error instanceof Stripe.errors.StripeError) {
      throw new TRPCError({
        code: 'BAD_GATEWAY',
        message: 'Stripe could not be reached or failed; check the account before trying again',
        cause: error,
      });
    }
    throw error;
  }
}

export type EnterpriseDeals = ReturnType<typeof createEnterpriseDeals>;
