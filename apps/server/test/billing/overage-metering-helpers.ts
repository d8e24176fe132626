import type { BillingSettings, Logger, OverageBillingSettings } from '@tollgate/api';
import {
  changeSpendSettings,
  createUser,
  ensurePersonalAccount,
  linkStripeCustomer,
  queryRows,
  reserveRuns,
  startRun,
  updateSubscription,
  type Database,
  type ReserveRunInput,
} from '@tollgate/db';
import { OVERAGE_PRICE, PLANS } from '@tollgate/domain';
import { emulatorControl, type EmulatorControl } from '@tollgate/stripe-emulator';
import { sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { startEmulatedStripe, type EmulatedStripe } from '../../src/stripe-setup';

/** The emulator with Tollgate's catalog, its overage meter and metered price (12.5¢ a run). */
export interface MeteredStripe extends EmulatedStripe {
  settings: BillingSettings & { overage: OverageBillingSettings };
  control: EmulatorControl;
}

export async function startMeteredStripe(meterEventHoldMs: number): Promise<MeteredStripe> {
  const emulated = await startEmulatedStripe({ emulator: { meterEventHoldMs } });
  const overage = emulated.settings.overage;
  if (!overage) throw new Error('the emulated Stripe has no overage meter');
  return {
    ...emulated,
    control: emulatorControl(emulated.emulator.url),
    settings: { ...emulated.settings, overage },
  };
}

export interface MeteredAccount {
  accountId: string;
  userId: string;
  customerId: string;
  subscriptionId: string;
  /** The Stripe subscription's current period: the account's usage period. */
  period: { start: Date; end: Date };
}

let accounts = 0;

/**
 * A Tollgate account on BASIC through a paid Checkout, with the metered price as the subscription's
 * second item, overage turned on, its subscriptions row naming the Stripe customer, and the plan's 100
 * runs already spent.
 */
export async function meteredAccount(kit: MeteredStripe, db: Database): Promise<MeteredAccount> {
  accounts += 1;
  const { stripe, emulator } = kit;
  const now = emulator.clock.now();
  const user = await createUser(db, { email: `metered${accounts}@example.test`, createdAt: now });
  const accountId = await ensurePersonalAccount(db, user.id, now);
  const customer = await stripe.customers.create({ email: `metered${accounts}@example.test` });
  await linkStripeCustomer(db, accountId, customer.id, now);
  const subscribed = await subscribeMetered(kit, db, { accountId, customerId: customer.id });
  await changeSpendSettings(db, accountId, { overageEnabled: true }, now);
  const account = { accountId, userId: user.id, customerId: customer.id, ...subscribed };
  // The plan's runs are spent: every run from here on is overage.
  await startRuns(db, account, PLANS.BASIC.runLimit ?? 0, { prefix: 'plan', now });
  return account;
}

/**
 * A paid BASIC Checkout for the customer, the metered price added as the subscription's second item,
 * and the account's subscriptions row naming it (as the sync records it from Stripe).
 */
export async function subscribeMetered(
  kit: MeteredStripe,
  db: Database,
  account: { accountId: string; customerId: string },
): Promise<{ subscriptionId: string; period: { start: Date; end: Date } }> {
  const { stripe, emulator } = kit;
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: account.customerId,
    line_items: [{ price: emulator.prices.BASIC, quantity: 1 }],
    success_url: 'http://app.tollgate.test/ok',
    cancel_url: 'http://app.tollgate.test/cancel',
  });
  const paid = emulator.checkout.pay(session.id, { card: '4242424242424242' });
  if (!paid.isComplete) throw new Error(`checkout failed: ${paid.error}`);
  const subscriptionId = String(paid.session.subscription);
  await stripe.subscriptionItems.create({
    subscription: subscriptionId,
    price: kit.settings.overage.priceId,
  });
  const item = (await stripe.subscriptions.retrieve(subscriptionId)).items.data[0];
  if (!item) throw new Error('subscription without items');
  const period = {
    start: new Date(item.current_period_start * 1_000),
    end: new Date(item.current_period_end * 1_000),
  };
  await updateSubscription(db, account.accountId, {
    plan: 'BASIC',
    status: 'active',
    stripeSubscriptionId: subscriptionId,
    stripePriceId: emulator.prices.BASIC,
    overageItemSubscriptionId: subscriptionId,
    currentPeriodStart: period.start,
    currentPeriodEnd: period.end,
    updatedAt: emulator.clock.now(),
  });
  return { subscriptionId, period };
}

const SERVICE = { kind: 'service', id: 'agent-backend' } as const;

/**
 * Reserves and starts `count` runs as the usage service does: reserveRuns in groups, then startRun per
 * run (which journals the overage). Returns the overage units they hold.
 */
export async function startRuns(
  db: Database,
  account: MeteredAccount,
  count: number,
  options: { prefix: string; now: Date; units?: number },
): Promise<number> {
  const inputs: ReserveRunInput[] = Array.from({ length: count }, (_, i) => ({
    accountId: account.accountId,
    userId: account.userId,
    countsMember: false,
    runId: `${options.prefix}-${i}`,
    limit: PLANS.BASIC.runLimit ?? 0,
    period: account.period,
    units: options.units ?? 1,
    isBlocked: false,
    overagePrice: OVERAGE_PRICE.unitAmountDecimal,
    fingerprint: `fp:${options.prefix}-${i}`,
    actor: SERVICE,
    now: options.now,
  }));
  const started: string[] = [];
  let overage = 0;
  for (let i = 0; i < inputs.length; i += 500) {
    const group = inputs.slice(i, i + 500);
    const results = await reserveRuns(db, group);
    results.forEach((result, j) => {
      if (result.outcome !== 'reserved') throw new Error(`run not reserved: ${result.outcome}`);
      overage += result.unitsOverage;
      started.push(group[j]?.runId ?? '');
    });
  }
  for (const runId of started) {
    const result = await startRun(db, {
      accountId: account.accountId,
      runId,
      actor: SERVICE,
      now: options.now,
    });
    if (!result.ok) throw new Error(`run not started: ${result.reason}`);
  }
  return overage;
}

/** Σ of the account's overage journal: what Stripe must bill. */
export async function journalTotal(db: Database, accountId: string): Promise<number> {
  const [row] = await queryRows<{ total: number }>(
    db,
    sql`select coalesce(sum(units), 0)::int as total from overage_entries where account_id = ${accountId}`,
  );
  return Number(row?.total ?? 0);
}

/** A logger that keeps what it was told, to assert on warnings (e.g. no 429 from Stripe). */
export function recordingLogger(): Logger & { lines: { level: string; message: string; fields: unknown }[] } {
  const lines: { level: string; message: string; fields: unknown }[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, fields });
  };
  return { lines, info: log('info'), warn: log('warn'), error: log('error') };
}

/** The emulator's clock in whole seconds, and a jump to a moment (everything due on the way happens). */
export const nowSeconds = (kit: MeteredStripe): number =>
  Math.floor(kit.emulator.clock.now().getTime() / 1_000);
export async function advanceTo(kit: MeteredStripe, at: number): Promise<void> {
  await kit.emulator.clock.advance(Math.max(0, at - nowSeconds(kit)));
}

/** The subscription's renewal invoice (draft during the grace hour, final after it) and its usage line. */
export async function renewalOf(kit: MeteredStripe, account: MeteredAccount) {
  const invoices = await kit.stripe.invoices.list({ subscription: account.subscriptionId });
  const invoice = invoices.data.find((candidate) => candidate.billing_reason === 'subscription_cycle');
  if (!invoice) throw new Error(`no renewal invoice for ${account.subscriptionId}`);
  const usage = invoice.lines.data.find(
    (line) => line.pricing?.price_details?.price === kit.settings.overage.priceId,
  );
  return { invoice, usage };
}

/** The `invoice.created` event Stripe sent for an invoice (what the server's webhook reacts to). */
export async function invoiceCreatedEvent(kit: MeteredStripe, invoiceId: string) {
  for await (const event of kit.stripe.events.list({ type: 'invoice.created', limit: 100 })) {
    const invoice = event.data.object as Stripe.Invoice;
    if (invoice.id === invoiceId) return invoice;
  }
  return null;
}
