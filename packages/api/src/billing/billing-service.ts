import {
  countMembers,
  findAccount,
  findUserById,
  getSubscription,
  linkStripeCustomer,
  personalAccountId,
  unlinkStripeCustomer,
} from '@tollgate/db';
import {
  ACCOUNT_REFERENCE_PREFIX,
  AppError,
  PLANS,
  checkoutPlansFor,
  isLiveStatus,
  parseStripeInvoice,
  type AccountKind,
  type CheckoutPlanId,
} from '@tollgate/domain';
import Stripe from 'stripe';
import type { z } from 'zod';
import type { ApiDeps } from '../config';
import type {
  checkoutSessionSchema,
  invoiceSummarySchema,
  portalSessionSchema,
} from '../schemas/billing-schemas';
import type { SubscriptionService } from '../services/subscription-service';
import type { Tenant } from '../tenant';
import { createPortalConfigurations } from './portal-configuration';
import { sameOriginUrl } from './redirect-urls';
import { isDeletedCustomer } from './stripe-customers';
import type { BillingSettings } from './stripe-settings';

export type InvoiceSummary = z.input<typeof invoiceSummarySchema>;
export type CheckoutSession = z.input<typeof checkoutSessionSchema>;
export type PortalSession = z.input<typeof portalSessionSchema>;

const SETTINGS_PATH = '/settings/subscription';

/** Why an account of `kind` can't buy `plan` (TEAM is for teams, BASIC and PRO for persons), or null. */
export function checkoutRefusal(plan: CheckoutPlanId, kind: AccountKind): string | null {
  if (checkoutPlansFor(kind).includes(plan)) return null;
  const other = kind === 'team' ? 'personal' : 'team';
  return `plan ${plan} is for ${other} accounts; a ${kind} account can buy ${checkoutPlansFor(kind).join(', ')}`;
}

/** Checkout, Customer Portal and invoices through the official Stripe SDK. */
export function createBillingService(
  deps: ApiDeps,
  settings: BillingSettings,
  subscriptions: SubscriptionService,
) {
  const { db, config, now } = deps;
  const { stripe } = settings;
  const portalConfigurations = createPortalConfigurations(settings, deps.logger);

  /**
   * What Stripe objects made for the account carry, so a webhook maps them back to it: the account id,
   * and on a personal account also its user (the only key before accounts existed, still understood).
   */
  function accountMetadata(tenant: Tenant): Record<string, string> {
    const isPersonal = tenant.accountId === personalAccountId(tenant.userId);
    return { accountId: tenant.accountId, ...(isPersonal ? { userId: tenant.userId } : {}) };
  }

  /**
   * What the account's Stripe customer is created with. It must not depend on who calls: the
   * idempotency key names the account, and Stripe refuses the same key with other parameters for 24 h,
   * so two admins of a team (or an admin after the owner's answer was lost) must send the same body.
   * The email is the account creator's (the user of a personal account; for a team, whoever made it,
   * whichever admin calls): receipts and the portal need one, and Stripe refuses to send an invoice
   * (an ENTERPRISE deal billed by invoice) to a customer without one.
   */
  async function customerParams(tenant: Tenant): Promise<Stripe.CustomerCreateParams> {
    const metadata = accountMetadata(tenant);
    const account = await findAccount(db, tenant.accountId);
    const creator = await findUserById(db, account?.createdByUserId ?? tenant.userId);
    return { ...(creator?.email ? { email: creator.email } : {}), metadata };
  }

  /**
   * One Stripe customer per account. The idempotency key derived from the account id (and parameters
   * that don't depend on the caller) makes concurrent first calls, and a retry after a lost answer,
   * return the same customer; the conditional link keeps the first one stored and lets every caller
   * that got it through. After Stripe deleted the account's customer (customer.deleted unlinked it) the
   * key names the deleted one, so the next checkout gets a new customer instead of Stripe's replay of
   * the deleted one. The stored customer is confirmed at Stripe first: deleted there while its
   * customer.deleted event was lost (or not processed yet), it is unlinked as that event would have
   * done, and a new one made. No transaction is open while Stripe is called: each database step is a
   * statement of its own.
   */
  async function ensureCustomer(tenant: Tenant): Promise<string> {
    const state = await subscriptions.loadState(tenant);
    const { accountId } = tenant;
    if (state.stripeCustomerId) {
      if (!(await isDeletedCustomer(stripe, state.stripeCustomerId))) return state.stripeCustomerId;
      if (await unlinkStripeCustomer(db, state.stripeCustomerId, now())) {
        deps.logger.warn('stripe customer deleted, its webhook not processed: unlinked from its account', {
          accountId,
          customerId: state.stripeCustomerId,
        });
      }
    }
    const row = await getSubscription(db, accountId);
    // Another call replaced the deleted customer meanwhile: that new one is the account's.
    if (row?.stripeCustomerId) return row.stripeCustomerId;
    const deletedCustomerId = row?.deletedStripeCustomerId ?? null;
    const customerId = await createCustomer(tenant, {
      idempotencyKey: deletedCustomerId
        ? `tollgate-customer-account-${accountId}-after-${deletedCustomerId}`
        : `tollgate-customer-account-${accountId}`,
    });
    const linked = await linkStripeCustomer(db, accountId, customerId, now());
    if (linked?.stripeCustomerId) return linked.stripeCustomerId;
    const current = await subscriptions.loadState(tenant);
    if (!current.stripeCustomerId) throw new AppError('INTERNAL', 'Stripe customer could not be linked');
    return current.stripeCustomerId;
  }

  /**
   * The account's customer at Stripe, made under the account's key. Stripe refuses the key with other
   * parameters for 24 h: a customer made (and never linked) by a process of the previous release, or
   * before the creator changed their email. That customer is the account's: it is found by its
   * metadata instead.
   */
  async function createCustomer(tenant: Tenant, options: { idempotencyKey: string }): Promise<string> {
    try {
      return (await stripe.customers.create(await customerParams(tenant), options)).id;
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeIdempotencyError)) throw error;
      const found = await stripe.customers.search({ query: `metadata['accountId']:'${tenant.accountId}'` });
      const made = found.data.find((customer) => !customer.deleted);
      if (!made) throw error;
      return made.id;
    }
  }

  /**
   * Why the account can't buy a plan while it holds one, or null. A live paid subscription is still the
   * account's: buying another would double-bill. A past_due one grants its plan until the payment grace
   * ends, so the card is fixed in the portal meanwhile; past the grace it grants nothing (Free runs, a
   * team none), and the customer may buy again: the new subscription, paid up, wins over the unpaid one,
   * which the sync then cancels at Stripe (decideLiveSubscription), so exactly one is billed. A deal
   * (ENTERPRISE) is never displaced by a Checkout: its overdue invoice is paid or settled with support.
   */
  async function subscribedRefusal(tenant: Tenant): Promise<string | null> {
    const state = await subscriptions.loadState(tenant);
    const { plan, status } = subscriptions.entitlementOf(state, now());
    if (state.plan === 'ENTERPRISE' && status === 'past_due') {
      return 'Your Enterprise invoice is overdue: pay it, or contact support to change your plan';
    }
    if (!PLANS[plan].isPaid || !isLiveStatus(status)) return null;
    const { name } = PLANS[plan];
    if (status === 'past_due') {
      return `Your last payment for the ${name} plan failed: update your payment method in the billing portal`;
    }
    return `You are already on the ${name} plan: change or cancel it in the billing portal`;
  }

  async function createCheckoutSession(
    tenant: Tenant,
    input: { plan: CheckoutPlanId; successUrl?: string; cancelUrl?: string },
  ): Promise<CheckoutSession> {
    const successUrl = sameOriginUrl(input.successUrl, config.appUrl, `${SETTINGS_PATH}?success=1`);
    const cancelUrl = sameOriginUrl(input.cancelUrl, config.appUrl, `${SETTINGS_PATH}?canceled=1`);
    const refusal = checkoutRefusal(input.plan, tenant.kind);
    if (refusal) throw new AppError('BAD_REQUEST', refusal);
    const subscribed = await subscribedRefusal(tenant);
    if (subscribed) throw new AppError('ALREADY_SUBSCRIBED', subscribed);
    const customer = await ensureCustomer(tenant);
    await expireOpenCheckoutSessions(customer);
    const metadata = { ...accountMetadata(tenant), plan: input.plan };
    // A seat-priced plan is bought for every member (owners included); the seat sync follows changes.
    const quantity = PLANS[input.plan].isSeatPriced ? await countMembers(db, tenant.accountId) : 1;
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      // "account:<id>": sessions made before accounts existed carry a bare user id (still understood).
      client_reference_id: `${ACCOUNT_REFERENCE_PREFIX}${tenant.accountId}`,
      line_items: [{ price: settings.priceIds[input.plan], quantity }],
      subscription_data: { metadata },
      metadata,
      success_url: successUrl,
      cancel_url: cancelUrl,
    });
    if (!session.url) throw new AppError('INTERNAL', 'Stripe returned no checkout URL');
    return { url: session.url, id: session.id };
  }

  /**
   * One open subscription Checkout session per account: two tabs (BASIC and PRO) must not both be
   * payable. A run pack's session (payment mode) stays open: packs are bought beside a plan. A session
   * paid meanwhile can't be expired any more, and that is no error (the webhook sync keeps one live
   * subscription if both get paid).
   */
  async function expireOpenCheckoutSessions(customer: string): Promise<void> {
    // Listed in full first: expiring while paging would move the cursor's ground.
    const sessions = await stripe.checkout.sessions
      .list({ customer, status: 'open', limit: 100 })
      .autoPagingToArray({ limit: 1000 });
    for (const open of sessions.filter((session) => session.mode === 'subscription')) {
      try {
        await stripe.checkout.sessions.expire(open.id);
      } catch (error) {
        const current = await stripe.checkout.sessions.retrieve(open.id);
        if (current.status === 'open') throw error;
      }
    }
  }

  async function createPortalSession(tenant: Tenant, input: { returnUrl?: string }): Promise<PortalSession> {
    const returnUrl = sameOriginUrl(input.returnUrl, config.appUrl, SETTINGS_PATH);
    const state = await subscriptions.loadState(tenant);
    if (!state.stripeCustomerId) {
      throw new AppError('NO_STRIPE_CUSTOMER', 'There is no billing account yet: choose a plan first');
    }
    const params = { customer: state.stripeCustomerId, return_url: returnUrl };
    // The portal offers only the plans the account's kind may buy (see portal-configuration.ts).
    const configuration = await portalConfigurations.idFor(tenant.kind);
    try {
      return { url: (await stripe.billingPortal.sessions.create({ ...params, configuration })).url };
    } catch (error) {
      if (!isConfigurationRefused(error)) throw error;
      // Deactivated (or deleted) at Stripe since it was cached: found or made again, once.
      const again = await portalConfigurations.replace(tenant.kind);
      return { url: (await stripe.billingPortal.sessions.create({ ...params, configuration: again })).url };
    }
  }

  async function listInvoices(tenant: Tenant): Promise<InvoiceSummary[]> {
    const state = await subscriptions.loadState(tenant);
    if (!state.stripeCustomerId) return [];
    const invoices = await stripe.invoices.list({ customer: state.stripeCustomerId, limit: 24 });
    return invoices.data.map((raw) => {
      const invoice = parseStripeInvoice(raw);
      return {
        id: invoice.id,
        number: invoice.number,
        createdAt: invoice.created,
        amountDue: invoice.amountDue,
        amountPaid: invoice.amountPaid,
        currency: invoice.currency,
        status: invoice.status,
        hostedInvoiceUrl: invoice.hostedInvoiceUrl,
        invoicePdf: invoice.invoicePdf,
      };
    });
  }

  return { ensureCustomer, createCheckoutSession, createPortalSession, listInvoices };
}

/** Stripe refused a portal session for its configuration (inactive, or no longer there). */
function isConfigurationRefused(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    (error.param === 'configuration' || /configuration/i.test(error.message))
  );
}

export type BillingService = ReturnType<typeof createBillingService>;
