import { findUserById, getSubscription, linkStripeCustomer } from '@tollgate/db';
import { AppError, PLANS, isLiveStatus, parseStripeInvoice, type CheckoutPlanId } from '@tollgate/domain';
import type { z } from 'zod';
import type { ApiDeps } from '../config';
import type {
  checkoutSessionSchema,
  invoiceSummarySchema,
  portalSessionSchema,
} from '../schemas/billing-schemas';
import type { SubscriptionService } from '../services/subscription-service';
import { sameOriginUrl } from './redirect-urls';
import type { BillingSettings } from './stripe-settings';

export type InvoiceSummary = z.input<typeof invoiceSummarySchema>;
export type CheckoutSession = z.input<typeof checkoutSessionSchema>;
export type PortalSession = z.input<typeof portalSessionSchema>;

const SETTINGS_PATH = '/settings/subscription';

/** Checkout, Customer Portal and invoices through the official Stripe SDK. */
export function createBillingService(
  deps: ApiDeps,
  settings: BillingSettings,
  subscriptions: SubscriptionService,
) {
  const { db, config, now } = deps;
  const { stripe } = settings;

  /**
   * One Stripe customer per account. The idempotency key derived from the user id makes concurrent
   * first calls return the same customer; the conditional link keeps the first one stored. After Stripe
   * deleted the account's customer (customer.deleted unlinked it) the key names the deleted one, so the
   * next checkout gets a new customer instead of Stripe's replay of the deleted one. No transaction is
   * open while Stripe is called: each database step is a statement of its own.
   */
  async function ensureCustomer(userId: string): Promise<string> {
    const state = await subscriptions.loadState(userId);
    if (state.stripeCustomerId) return state.stripeCustomerId;
    const user = await findUserById(db, userId);
    const deletedCustomerId = (await getSubscription(db, userId))?.deletedStripeCustomerId ?? null;
    const customer = await stripe.customers.create(
      { ...(user?.email ? { email: user.email } : {}), metadata: { userId } },
      {
        idempotencyKey: deletedCustomerId
          ? `tollgate-customer-${userId}-after-${deletedCustomerId}`
          : `tollgate-customer-${userId}`,
      },
    );
    const linked = await linkStripeCustomer(db, userId, customer.id, now());
    if (linked?.stripeCustomerId) return linked.stripeCustomerId;
    const current = await subscriptions.loadState(userId);
    if (!current.stripeCustomerId) throw new AppError('INTERNAL', 'Stripe customer could not be linked');
    return current.stripeCustomerId;
  }

  async function createCheckoutSession(
    userId: string,
    input: { plan: CheckoutPlanId; successUrl?: string; cancelUrl?: string },
  ): Promise<CheckoutSession> {
    const successUrl = sameOriginUrl(input.successUrl, config.appUrl, `${SETTINGS_PATH}?success=1`);
    const cancelUrl = sameOriginUrl(input.cancelUrl, config.appUrl, `${SETTINGS_PATH}?canceled=1`);
    const overview = await subscriptions.overview(userId);
    // A live paid subscription is still the user's: buying another would double-bill.
    if (PLANS[overview.plan].isPaid && isLiveStatus(overview.status)) {
      throw new AppError(
        'ALREADY_SUBSCRIBED',
        `You are already on the ${PLANS[overview.plan].name} plan: change or cancel it in the billing portal`,
      );
    }
    const customer = await ensureCustomer(userId);
    await expireOpenCheckoutSessions(customer);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      client_reference_id: userId,
      line_items: [{ price: settings.priceIds[input.plan], quantity: 1 }],
      subscription_data: { metadata: { userId, plan: input.plan } },
      metadata: { userId, plan: input.plan },
      success_url: successUrl,
      cancel_url: cancelUrl,
    });
    if (!session.url) throw new AppError('INTERNAL', 'Stripe returned no checkout URL');
    return { url: session.url, id: session.id };
  }

  /**
   * One open Checkout session per account: two tabs (BASIC and PRO) must not both be payable. A session
   * paid meanwhile can't be expired any more, and that is no error (the webhook sync keeps one live
   * subscription if both get paid).
   */
  async function expireOpenCheckoutSessions(customer: string): Promise<void> {
    // Listed in full first: expiring while paging would move the cursor's ground.
    const sessions = await stripe.checkout.sessions
      .list({ customer, status: 'open', limit: 100 })
      .autoPagingToArray({ limit: 1000 });
    for (const open of sessions) {
      try {
        await stripe.checkout.sessions.expire(open.id);
      } catch (error) {
        const current = await stripe.checkout.sessions.retrieve(open.id);
        if (current.status === 'open') throw error;
      }
    }
  }

  async function createPortalSession(userId: string, input: { returnUrl?: string }): Promise<PortalSession> {
    const returnUrl = sameOriginUrl(input.returnUrl, config.appUrl, SETTINGS_PATH);
    const state = await subscriptions.loadState(userId);
    if (!state.stripeCustomerId) {
      throw new AppError('NO_STRIPE_CUSTOMER', 'There is no billing account yet: choose a plan first');
    }
    const session = await stripe.billingPortal.sessions.create({
      customer: state.stripeCustomerId,
      return_url: returnUrl,
    });
    return { url: session.url };
  }

  async function listInvoices(userId: string): Promise<InvoiceSummary[]> {
    const state = await subscriptions.loadState(userId);
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

export type BillingService = ReturnType<typeof createBillingService>;
