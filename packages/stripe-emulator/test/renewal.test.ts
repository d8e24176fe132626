import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPage, submitForm } from './support/browser';
import { APP, DAY, periodOf, startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';

const HOUR = 3_600;
// short retries keep the clock jumps small: attempts at +0, +1 h, +3 h
const RETRY_SCHEDULE = [HOUR, 2 * HOUR];

let h: Harness;
let unpaid: Harness;

beforeAll(async () => {
  [h, unpaid] = await Promise.all([
    startHarness({ retrySchedule: RETRY_SCHEDULE }),
    startHarness({ retrySchedule: RETRY_SCHEDULE, endStateAfterRetries: 'unpaid' }),
  ]);
});
afterAll(async () => {
  await Promise.all([h.close(), unpaid.close()]);
});
beforeEach(async () => {
  await Promise.all([h.emulator.webhooks.drain(), unpaid.emulator.webhooks.drain()]);
  h.receiver.clear();
  unpaid.receiver.clear();
});

async function secondsUntilPeriodEnd(harness: Harness, subscriptionId: string): Promise<number> {
  const subscription = await harness.stripe.subscriptions.retrieve(subscriptionId);
  return periodOf(subscription).end - Math.floor(harness.emulator.clock.now().getTime() / 1000);
}

describe('renewals', () => {
  it('crossing the period end bills the next period with a paid invoice', async () => {
    const { subscriptionId } = await subscribeViaCheckout(h);
    await h.emulator.webhooks.drain();
    h.receiver.clear();
    const before = await h.stripe.subscriptions.retrieve(subscriptionId);
    await h.emulator.clock.advance((await secondsUntilPeriodEnd(h, subscriptionId)) + 60);

    const after = await h.stripe.subscriptions.retrieve(subscriptionId, { expand: ['latest_invoice'] });
    expect(after.status).toBe('active');
    expect(periodOf(after).start).toBe(periodOf(before).end);
    expect(periodOf(after).end).toBeGreaterThan(periodOf(before).end + 27 * DAY);
    expect(after.latest_invoice).toMatchObject({
      status: 'paid',
      billing_reason: 'subscription_cycle',
      amount_paid: 1900,
      period_start: periodOf(before).start,
      period_end: periodOf(before).end,
    });
    const invoices = await h.stripe.invoices.list({ subscription: subscriptionId });
    expect(invoices.data.map((invoice) => invoice.number?.slice(-4))).toEqual(['0002', '0001']);

    await h.emulator.webhooks.drain();
    const [updated] = h.receiver.ofType('customer.subscription.updated');
    expect(updated?.created).toBe(periodOf(before).end);
    expect(updated?.data.previous_attributes?.items?.data[0]?.current_period_end).toBe(periodOf(before).end);
    expect(h.receiver.ofType('invoice.paid').map((event) => event.data.object.billing_reason)).toEqual([
      'subscription_cycle',
    ]);
  });

  it('renews every month across several periods in one jump', async () => {
    const { subscriptionId } = await subscribeViaCheckout(h);
    await h.emulator.clock.advance(95 * DAY);
    const invoices = await h.stripe.invoices.list({ subscription: subscriptionId });
    expect(invoices.data).toHaveLength(4);
    expect(invoices.data.every((invoice) => invoice.status === 'paid')).toBe(true);
  });

  it('carries out a cancellation at period end', async () => {
    const { subscriptionId } = await subscribeViaCheckout(h);
    await h.stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
    const end = periodOf(await h.stripe.subscriptions.retrieve(subscriptionId)).end;
    await h.emulator.clock.advance((await secondsUntilPeriodEnd(h, subscriptionId)) + 1);
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription).toMatchObject({ status: 'canceled', ended_at: end });
    expect((await h.stripe.invoices.list({ subscription: subscriptionId })).data).toHaveLength(1);
    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('customer.subscription.deleted').map((event) => event.created)).toEqual([end]);
  });
});

describe('a card that fails later (4000 0000 0000 0341)', () => {
  it('goes past_due at renewal, then canceled after the retries', async () => {
    const { subscriptionId } = await subscribeViaCheckout(h, { card: '4000000000000341' });
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('active');
    const periodEnd = periodOf(await h.stripe.subscriptions.retrieve(subscriptionId)).end;
    await h.emulator.clock.advance((await secondsUntilPeriodEnd(h, subscriptionId)) + 60);

    const pastDue = await h.stripe.subscriptions.retrieve(subscriptionId, { expand: ['latest_invoice'] });
    expect(pastDue.status).toBe('past_due');
    expect(pastDue.latest_invoice).toMatchObject({
      status: 'open',
      attempt_count: 1,
      amount_paid: 0,
      next_payment_attempt: periodEnd + HOUR,
    });

    await h.emulator.clock.advance(HOUR);
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('past_due');
    await h.emulator.clock.advance(2 * HOUR);
    const canceled = await h.stripe.subscriptions.retrieve(subscriptionId, { expand: ['latest_invoice'] });
    expect(canceled.status).toBe('canceled');
    expect(canceled.cancellation_details?.reason).toBe('payment_failed');
    expect(canceled.latest_invoice).toMatchObject({
      status: 'open',
      attempt_count: 3,
      next_payment_attempt: null,
    });

    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('invoice.payment_failed').map((event) => event.created)).toEqual([
      periodEnd,
      periodEnd + HOUR,
      periodEnd + 3 * HOUR,
    ]);
    const statusChanges = h.receiver
      .ofType('customer.subscription.updated')
      .filter((event) => event.data.previous_attributes?.status !== undefined)
      .map((event) => `${event.data.previous_attributes?.status}->${event.data.object.status}`);
    expect(statusChanges).toEqual(['active->past_due']);
    expect(h.receiver.ofType('customer.subscription.deleted')).toHaveLength(1);
  });

  it('ends unpaid when so configured', async () => {
    const { subscriptionId } = await subscribeViaCheckout(unpaid, { card: '4000000000000341' });
    await unpaid.emulator.clock.advance((await secondsUntilPeriodEnd(unpaid, subscriptionId)) + 4 * HOUR);
    const subscription = await unpaid.stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription.status).toBe('unpaid');
    await unpaid.emulator.webhooks.drain();
    const statuses = unpaid.receiver
      .ofType('customer.subscription.updated')
      .filter((event) => event.data.previous_attributes?.status !== undefined)
      .map((event) => event.data.object.status);
    expect(statuses).toEqual(['past_due', 'unpaid']);
  });

  it('recovers when the card is updated in the portal while past_due', async () => {
    const { customer, subscriptionId } = await subscribeViaCheckout(h, { card: '4000000000000341' });
    await h.emulator.clock.advance((await secondsUntilPeriodEnd(h, subscriptionId)) + 60);
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('past_due');

    const portal = await h.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: APP });
    const result = await submitForm(await openPage(portal.url), 'Update card', {
      'Card number': '4242424242424242',
    });
    expect(result.status).toBe(303);
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId, {
      expand: ['latest_invoice'],
    });
    expect(subscription.status).toBe('active');
    expect(subscription.latest_invoice).toMatchObject({ status: 'paid', amount_paid: 1900 });
    await h.emulator.clock.advance(10 * HOUR);
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('active');
  });

  it('shows the failed retry in the portal when the new card is declined too', async () => {
    const { customer, subscriptionId } = await subscribeViaCheckout(h, { card: '4000000000000341' });
    await h.emulator.clock.advance((await secondsUntilPeriodEnd(h, subscriptionId)) + 60);
    const portal = await h.stripe.billingPortal.sessions.create({ customer: customer.id });
    const result = await submitForm(await openPage(portal.url), 'Update card', {
      'Card number': '4000000000009995',
    });
    expect(result.status).toBe(402);
    expect(result.page?.html).toContain('Your card has insufficient funds.');
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('past_due');
  });
});

describe('trials', () => {
  it('sends trial_will_end three days before the end, then bills and activates', async () => {
    const { subscriptionId } = await subscribeViaCheckout(h, { trialDays: 14 });
    const trialEnd = (await h.stripe.subscriptions.retrieve(subscriptionId)).trial_end ?? 0;
    await h.emulator.clock.advance(11 * DAY + 60);
    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('customer.subscription.trial_will_end').map((event) => event.created)).toEqual([
      trialEnd - 3 * DAY,
    ]);
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('trialing');

    await h.emulator.clock.advance(3 * DAY);
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId, {
      expand: ['latest_invoice'],
    });
    expect(subscription.status).toBe('active');
    expect(periodOf(subscription).start).toBe(trialEnd);
    expect(subscription.latest_invoice).toMatchObject({ status: 'paid', amount_paid: 1900 });
  });
});
