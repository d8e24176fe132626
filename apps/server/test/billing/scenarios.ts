import { personalAccountId, subscriptions, usagePeriods, type UsagePeriodRow } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import type { BillingTestServer } from '../support/billing-server';
import { payCheckout, portalAction, type PortalAction } from '../support/hosted-pages';
import { trpc } from '../support/http';
import { registerVerifiedUser } from '../support/test-server';

export const CARDS = {
  success: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  failsLater: '4000000000000341',
} as const;

const DAY_SECONDS = 86_400;

/**
 * One signed-up user driving Tollgate + the emulator, with `settle()` standing for "the webhooks got
 * through" (in shuffle mode that is also when the held events are released in random order).
 */
export class Customer {
  private constructor(
    readonly billing: BillingTestServer,
    readonly token: string,
    readonly userId: string,
  ) {}

  static async signUp(billing: BillingTestServer): Promise<Customer> {
    const { accessToken, user } = await registerVerifiedUser(billing.server);
    return new Customer(billing, accessToken, user.id);
  }

  call(kind: 'query' | 'mutation', path: string, input?: unknown) {
    return trpc(this.billing.server.url, kind, path, input, this.token);
  }

  async overview() {
    const result = await this.call('query', 'billing.subscription');
    expect(result.status).toBe(200);
    return result.data;
  }

  settle() {
    return this.billing.emulator.webhooks.drain();
  }

  async advanceDays(days: number) {
    await this.billing.emulator.clock.advance(days * DAY_SECONDS);
    await this.settle();
  }

  async checkout(plan: 'BASIC' | 'PRO', card: string) {
    const session = await this.call('mutation', 'billing.createCheckoutSession', { plan });
    expect(session.status).toBe(200);
    const paid = await payCheckout(session.data.url, card);
    await this.settle();
    return paid;
  }

  async portal(action: PortalAction) {
    const session = await this.call('mutation', 'billing.createPortalSession', {});
    expect(session.status).toBe(200);
    await portalAction(session.data.url, action);
    await this.settle();
  }

  /** Authorizes `count` runs; returns the HTTP statuses. */
  async runs(count: number, prefix = 'run'): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const result = await this.call('mutation', 'usage.authorize', {
        runId: `${prefix}-${crypto.randomUUID()}`,
      });
      statuses.push(result.status);
    }
    return statuses;
  }

  async authorizeOne() {
    return this.call('mutation', 'usage.authorize', { runId: `one-${crypto.randomUUID()}` });
  }

  /**
   * Everything Tollgate stored for this account, with ids reduced to their presence and times to whole
   * minutes since the first usage period opened, so runs on different servers compare equal.
   */
  async storedState() {
    const { db } = this.billing.server.testDb;
    const accountId = personalAccountId(this.userId);
    const [row] = await db.select().from(subscriptions).where(eq(subscriptions.accountId, accountId));
    const periods = await db.select().from(usagePeriods).where(eq(usagePeriods.accountId, accountId));
    periods.sort((a, b) => a.periodStart.getTime() - b.periodStart.getTime());
    const anchor = periods[0]?.periodStart.getTime() ?? 0;
    const minutes = (date: Date | null) => (date ? Math.round((date.getTime() - anchor) / 60_000) : null);
    // Two periods may start within the same minute (the Free anniversary of an account created just
    // before its checkout, and the paid period): compared by minute, then by what they hold.
    const byMinute = (a: UsagePeriodRow, b: UsagePeriodRow) =>
      (minutes(a.periodStart) ?? 0) - (minutes(b.periodStart) ?? 0) || a.used - b.used;
    if (!row) throw new Error('no subscription row');
    return {
      plan: row.plan,
      status: row.status,
      currentPeriodStart: minutes(row.currentPeriodStart),
      currentPeriodEnd: minutes(row.currentPeriodEnd),
      cancelAtPeriodEnd: row.cancelAtPeriodEnd,
      trialUsed: row.trialUsedAt !== null,
      isPastDue: row.pastDueSince !== null,
      hasCustomer: row.stripeCustomerId !== null,
      hasSubscription: row.stripeSubscriptionId !== null,
      priceIsKnown: row.unknownStripePriceId === null,
      periods: [...periods].sort(byMinute).map((period) => ({
        start: minutes(period.periodStart),
        end: minutes(period.periodEnd),
        used: period.used,
      })),
    };
  }
}

export type Scenario = (customer: Customer) => Promise<void>;

/** The lifecycles the billing issue asks for, each asserting as it goes. */
export const SCENARIOS: Record<string, Scenario> = {
  'checkout with 4242 → PRO with 1,000 runs': async (customer) => {
    const paid = await customer.checkout('PRO', CARDS.success);
    expect(paid.status).toBe(303);
    expect(paid.location).toBe('http://app.tollgate.test/settings/subscription?success=1');
    expect(await customer.overview()).toMatchObject({
      plan: 'PRO',
      status: 'active',
      usage: { limit: 1000, used: 0 },
    });
    expect((await customer.authorizeOne()).data).toMatchObject({ plan: 'PRO', used: 1, limit: 1000 });
  },

  'declined cards → still FREE': async (customer) => {
    for (const card of [CARDS.declined, CARDS.insufficientFunds]) {
      const paid = await customer.checkout('BASIC', card);
      expect(paid.status).toBe(402);
      expect(paid.alert).toMatch(/declined|insufficient/i);
    }
    expect(await customer.overview()).toMatchObject({ plan: 'FREE', usage: { limit: 10 } });
  },

  'renewal → a fresh usage period': async (customer) => {
    await customer.checkout('BASIC', CARDS.success);
    expect(await customer.runs(3)).toEqual([200, 200, 200]);
    const before = await customer.overview();
    expect(before.usage.used).toBe(3);
    await customer.advanceDays(31);
    const after = await customer.overview();
    expect(after).toMatchObject({ plan: 'BASIC', status: 'active', usage: { used: 0, limit: 100 } });
    expect(new Date(after.usage.periodStart).getTime()).toBeGreaterThan(
      new Date(before.usage.periodStart).getTime(),
    );
    const invoices = await customer.call('query', 'billing.invoices');
    expect(invoices.data.filter((invoice: { status: string }) => invoice.status === 'paid')).toHaveLength(2);
  },

  'failing renewal → past_due with grace → 402 → card fixed in portal → active': async (customer) => {
    await customer.checkout('PRO', CARDS.failsLater);
    expect((await customer.overview()).status).toBe('active');
    await customer.advanceDays(31);
    const pastDue = await customer.overview();
    expect(pastDue).toMatchObject({ plan: 'PRO', status: 'past_due' });
    expect(pastDue.graceEndsAt).not.toBeNull();
    expect((await customer.authorizeOne()).status).toBe(200); // still inside the grace period
    await customer.advanceDays(4); // grace is 3 days; the emulator's next retry is at day 5
    // Past the grace: Free entitlements (never locked out of the free tier), then "update your card".
    expect(await customer.runs(10, 'past-grace')).toEqual(Array(10).fill(200));
    const denied = await customer.authorizeOne();
    expect(denied.status).toBe(402);
    expect(denied.error?.data.paymentRequired).toMatchObject({
      code: 'PAYMENT_PAST_DUE',
      plan: 'FREE', // what it runs on now; the status says why
      status: 'past_due',
    });
    await customer.portal({ action: 'update_card', cardNumber: CARDS.success });
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', status: 'active', graceEndsAt: null });
    expect((await customer.authorizeOne()).status).toBe(200);
  },

  'portal upgrade BASIC → PRO applies 1,000 runs at once and keeps runs used': async (customer) => {
    await customer.checkout('BASIC', CARDS.success);
    expect(await customer.runs(5)).toEqual([200, 200, 200, 200, 200]);
    await customer.portal({ action: 'switch', priceId: customer.billing.emulator.prices.PRO });
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { used: 5, limit: 1000 } });
  },

  // The portal schedules a switch to a lower amount for the period end (schedule_at_period_end): the
  // period was paid at PRO's price, so PRO's allowance stays until it ends. (An immediate downgrade
  // let BASIC → PRO → BASIC within an hour keep PRO's runs for ≈ $30/720: packages/api
  // portal-configuration.ts, apps/server/test/billing/plan-change-timing.test.ts.)
  'downgrade PRO → BASIC in the portal after 100 runs: PRO until the period ends, then BASIC': async (
    customer,
  ) => {
    await customer.checkout('PRO', CARDS.success);
    const statuses = await Promise.all(
      Array.from({ length: 4 }, (_, batch) => customer.runs(25, `b${batch}`)),
    );
    expect(statuses.flat().every((status) => status === 200)).toBe(true);
    await customer.portal({ action: 'switch', priceId: customer.billing.emulator.prices.BASIC });
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { used: 100, limit: 1000 } });
    expect((await customer.authorizeOne()).data).toMatchObject({ plan: 'PRO', used: 101, limit: 1000 });
    await customer.advanceDays(31);
    expect((await customer.authorizeOne()).data).toMatchObject({ plan: 'BASIC', used: 1, limit: 100 });
  },

  'cancel at period end → PRO until the end, then FREE': async (customer) => {
    await customer.checkout('PRO', CARDS.success);
    await customer.portal({ action: 'cancel_at_period_end' });
    const canceling = await customer.overview();
    expect(canceling).toMatchObject({ plan: 'PRO', status: 'active', cancelAtPeriodEnd: true });
    expect(canceling.endsAt).toBe(canceling.currentPeriod.end);
    await customer.advanceDays(31);
    expect(await customer.overview()).toMatchObject({ plan: 'FREE', usage: { limit: 10 } });
  },
};

/** The customer's personal account's subscription row as stored (ids, plan, status, customer). */
export async function storedSubscriptionRow(billing: BillingTestServer, customer: Customer) {
  const [row] = await billing.server.testDb.db
    .select()
    .from(subscriptions)
    .where(eq(subscriptions.accountId, personalAccountId(customer.userId)));
  if (!row) throw new Error('no subscription row');
  return row;
}

/** A customer subscribed through Checkout, with the Stripe subscription its account now stores. */
export async function subscribedCustomer(billing: BillingTestServer, plan: 'BASIC' | 'PRO') {
  const customer = await Customer.signUp(billing);
  await customer.checkout(plan, CARDS.success);
  const row = await storedSubscriptionRow(billing, customer);
  if (!row.stripeSubscriptionId) throw new Error('checkout did not link a subscription');
  return { customer, subscriptionId: row.stripeSubscriptionId };
}
