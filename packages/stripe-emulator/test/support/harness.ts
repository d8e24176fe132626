import Stripe from 'stripe';
import { startStripeEmulator } from '../../src';
import type { StripeEmulator, StripeEmulatorOptions } from '../../src';
import { TOLLGATE_CATALOG } from '../../src/tollgate-catalog';
import { openPage, submitForm } from './browser';
import { startWebhookReceiver } from './webhook-receiver';
import type { WebhookReceiver } from './webhook-receiver';

export const DAY = 86_400;
export const APP = 'http://app.test';

export type SeededEmulator = StripeEmulator<keyof typeof TOLLGATE_CATALOG>;

export interface Harness {
  emulator: SeededEmulator;
  receiver: WebhookReceiver;
  stripe: Stripe;
  close(): Promise<void>;
}

/** Emulator + a verifying webhook receiver + the official SDK pointed at the emulator. */
export async function startHarness(options: Omit<StripeEmulatorOptions, 'catalog'> = {}): Promise<Harness> {
  const receiver = await startWebhookReceiver();
  const emulator = await startStripeEmulator({
    catalog: TOLLGATE_CATALOG,
    webhookEndpoints: [{ url: receiver.url, secret: receiver.secret }],
    deliveryRetryDelaysMs: [20, 40],
    deliveryTimeoutMs: 5_000,
    ...options,
  });
  const stripe = new Stripe('sk_test_emulator', {
    host: '127.0.0.1',
    port: emulator.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
  return {
    emulator,
    receiver,
    stripe,
    async close() {
      await emulator.close();
      await receiver.close();
    },
  };
}

export interface SubscribeOptions {
  card?: string;
  price?: string;
  quantity?: number;
  trialDays?: number;
  userId?: string;
}

/** Customer -> checkout session -> hosted page -> Pay, as Tollgate's server and a user would do it. */
export async function subscribeViaCheckout(harness: Harness, options: SubscribeOptions = {}) {
  const { stripe, emulator } = harness;
  const userId = options.userId ?? `u_${Math.random().toString(36).slice(2, 8)}`;
  const customer = await stripe.customers.create({ email: `${userId}@example.com`, metadata: { userId } });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    client_reference_id: userId,
    line_items: [{ price: options.price ?? emulator.prices.BASIC, quantity: options.quantity ?? 1 }],
    subscription_data: {
      metadata: { userId },
      ...(options.trialDays ? { trial_period_days: options.trialDays } : {}),
    },
    metadata: { userId },
    success_url: `${APP}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${APP}/billing`,
  });
  if (!session.url) throw new Error('checkout session has no url');
  const result = await submitForm(await openPage(session.url), 'Pay', {
    'Card number': options.card ?? '4242 4242 4242 4242',
  });
  if (result.status !== 303) throw new Error(`checkout failed: HTTP ${result.status}`);
  const completed = await stripe.checkout.sessions.retrieve(session.id);
  const subscriptionId =
    typeof completed.subscription === 'string' ? completed.subscription : completed.subscription?.id;
  if (!subscriptionId) throw new Error('checkout completed without a subscription');
  return { customer, session: completed, subscriptionId, userId, redirect: result.location };
}

export function periodOf(subscription: Stripe.Subscription): { start: number; end: number } {
  const item = subscription.items.data[0];
  if (!item) throw new Error('subscription without items');
  return { start: item.current_period_start, end: item.current_period_end };
}

/**
 * A new meter (sum of `value` per stripe_customer_id) and a metered price on it at 2.5¢ a unit, as
 * Tollgate's overage uses them: what the usage-billing tests add as a subscription's second item.
 */
export async function meteredPrice(harness: Harness, name = 'Overage run') {
  const meter = await harness.stripe.billing.meters.create({
    display_name: name,
    event_name: `metered_${crypto.randomUUID().slice(0, 8)}`,
    default_aggregation: { formula: 'sum' },
    customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
    value_settings: { event_payload_key: 'value' },
  });
  const price = await harness.stripe.prices.create({
    currency: 'usd',
    unit_amount_decimal: Stripe.Decimal.from('2.5'),
    product_data: { name },
    recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
  });
  return { meter, price };
}
