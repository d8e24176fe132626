import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorControl } from '../src';
import { DAY, meteredPrice, periodOf, startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';

/**
 * Stripe's invoice finalization grace period: a renewal that bills metered usage is a draft for an hour
 * after the period end, usage timestamped inside the ended period that arrives meanwhile is billed,
 * and once finalized the invoice no longer follows the meter.
 */
const HOUR = 3_600;
const CARD_DECLINED_LATER = '4000 0000 0000 0341';

let h: Harness;
let seq = 0;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const nowSeconds = (): number => Math.floor(h.emulator.clock.now().getTime() / 1000);
const advanceTo = (at: number) => h.emulator.clock.advance(at - nowSeconds());

/** A BASIC subscription (via Checkout) with a metered price (2.5¢ a unit) as its second item. */
async function meteredSubscription(card?: string) {
  seq += 1;
  const { meter, price } = await meteredPrice(h, `Grace runs ${seq}`);
  const { customer, subscriptionId } = await subscribeViaCheckout(h, card ? { card } : {});
  await h.stripe.subscriptionItems.create({ subscription: subscriptionId, price: price.id });
  const period = periodOf(await h.stripe.subscriptions.retrieve(subscriptionId));
  let reported = 0;
  const report = (value: number, timestamp?: number) => {
    reported += 1;
    return h.stripe.billing.meterEvents.create({
      event_name: meter.event_name,
      payload: { stripe_customer_id: customer.id, value: String(value) },
      identifier: `${meter.id}-${reported}`,
      ...(timestamp === undefined ? {} : { timestamp }),
    });
  };
  const renewal = async () => {
    const invoices = await h.stripe.invoices.list({ subscription: subscriptionId });
    const found = invoices.data.find((invoice) => invoice.billing_reason === 'subscription_cycle');
    if (!found) throw new Error('no renewal invoice');
    return found;
  };
  const usageOf = (invoice: Stripe.Invoice) =>
    invoice.lines.data.find((line) => line.pricing?.price_details?.price === price.id);
  return { meter, priceId: price.id, customer, subscriptionId, period, report, renewal, usageOf };
}

/** The webhooks delivered for one invoice, in order, as [type, status, usage quantity]. */
async function invoiceEvents(invoiceId: string, usagePrice: string) {
  await h.emulator.webhooks.drain();
  return h.receiver.events
    .filter((event) => event.type.startsWith('invoice.'))
    .map((event) => ({ type: event.type, invoice: event.data.object as Stripe.Invoice, at: event.created }))
    .filter(({ invoice }) => invoice.id === invoiceId)
    .map(({ type, invoice, at }) => ({
      type,
      at,
      status: invoice.status,
      customer: invoice.customer,
      quantity: invoice.lines.data.find((line) => line.pricing?.price_details?.price === usagePrice)
        ?.quantity,
    }));
}

describe('renewal finalization grace period (subscriptions with a metered item)', () => {
  it('drafts the renewal at the period end with the usage so far; usage of the period reported in the hour is on the final invoice', async () => {
    const sub = await meteredSubscription();
    const { period } = sub;
    await sub.report(3);

    await advanceTo(period.end + 60);
    const draft = await sub.renewal();
    expect(draft).toMatchObject({
      status: 'draft',
      customer: sub.customer.id,
      created: period.end,
      automatically_finalizes_at: period.end + HOUR,
      number: null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      ending_balance: null,
      attempt_count: 0,
      period_start: period.start,
      period_end: period.end,
      status_transitions: { finalized_at: null, paid_at: null },
    });
    expect(sub.usageOf(draft)).toMatchObject({
      quantity: 3,
      amount: 8, // 3 × 2.5¢ = 7.5¢ → 8¢
      period: { start: period.start, end: period.end },
    });
    const licensed = draft.lines.data.find(
      (line) => line.pricing?.price_details?.price === h.emulator.prices.BASIC,
    );
    expect(draft.total).toBe((licensed?.amount ?? 0) + 8);
    // The subscription has moved on and points at the draft.
    const renewed = await h.stripe.subscriptions.retrieve(sub.subscriptionId);
    expect(renewed).toMatchObject({ status: 'active', latest_invoice: draft.id });
    expect(renewed.items.data.map((item) => item.current_period_start)).toEqual([period.end, period.end]);
    expect(await invoiceEvents(draft.id, sub.priceId)).toEqual([
      { type: 'invoice.created', at: period.end, status: 'draft', customer: sub.customer.id, quantity: 3 },
    ]);

    // In the grace hour: late usage of the ended period (timestamped inside it) and new usage (now).
    await sub.report(4, period.end - 30);
    await sub.report(100);
    await advanceTo(period.end + HOUR - 1);
    expect(await sub.renewal()).toMatchObject({ id: draft.id, status: 'draft' });

    await advanceTo(period.end + HOUR);
    const final = await sub.renewal();
    expect(final).toMatchObject({
      id: draft.id,
      status: 'paid',
      automatically_finalizes_at: null,
      number: expect.stringMatching(/-\d{4}$/),
      hosted_invoice_url: expect.stringContaining(`/invoices/${draft.id}`),
      effective_at: period.end + HOUR,
      ending_balance: 0,
      amount_paid: (licensed?.amount ?? 0) + 18,
      status_transitions: { finalized_at: period.end + HOUR, paid_at: period.end + HOUR },
    });
    expect(sub.usageOf(final)).toMatchObject({
      id: sub.usageOf(draft)?.id,
      quantity: 7,
      amount: 18, // 7 × 2.5¢ = 17.5¢ → 18¢; the 100 belong to the next period
      description: expect.stringMatching(/^7 × /),
    });
    expect(final.total).toBe((licensed?.amount ?? 0) + 18);
    expect(String(sub.usageOf(final)?.quantity_decimal)).toBe('7');
    expect(await invoiceEvents(draft.id, sub.priceId)).toEqual([
      { type: 'invoice.created', at: period.end, status: 'draft', customer: sub.customer.id, quantity: 3 },
      {
        type: 'invoice.finalized',
        at: period.end + HOUR,
        status: 'open',
        customer: sub.customer.id,
        quantity: 7,
      },
      { type: 'invoice.paid', at: period.end + HOUR, status: 'paid', customer: sub.customer.id, quantity: 7 },
      {
        type: 'invoice.payment_succeeded',
        at: period.end + HOUR,
        status: 'paid',
        customer: sub.customer.id,
        quantity: 7,
      },
    ]);

    // After finalization, usage timestamped inside the billed period counts at the meter, not on the invoice.
    await sub.report(5, period.end - 20);
    await h.emulator.clock.advance(2 * HOUR);
    const control = emulatorControl(h.emulator.url);
    expect(await control.meterTotal(sub.meter.id, sub.customer.id, period.start, period.end)).toBe(12);
    expect(await sub.renewal()).toEqual(final);
    expect(await invoiceEvents(draft.id, sub.priceId)).toHaveLength(4);
  });

  it('charges the final invoice like any renewal: a declined card fails it after the hour, with the retry schedule', async () => {
    const sub = await meteredSubscription(CARD_DECLINED_LATER);
    const { period } = sub;
    await sub.report(2);
    await advanceTo(period.end + 60);
    expect(await sub.renewal()).toMatchObject({ status: 'draft', attempt_count: 0 });
    expect((await h.stripe.subscriptions.retrieve(sub.subscriptionId)).status).toBe('active');

    await advanceTo(period.end + HOUR + 60);
    const failed = await sub.renewal();
    expect(failed).toMatchObject({
      status: 'open',
      attempt_count: 1,
      next_payment_attempt: period.end + HOUR + 3 * DAY,
      status_transitions: { finalized_at: period.end + HOUR },
    });
    expect(sub.usageOf(failed)).toMatchObject({ quantity: 2, amount: 5 });
    expect((await h.stripe.subscriptions.retrieve(sub.subscriptionId)).status).toBe('past_due');
    expect((await invoiceEvents(failed.id, sub.priceId)).map(({ type, at }) => [type, at])).toEqual([
      ['invoice.created', period.end],
      ['invoice.finalized', period.end + HOUR],
      ['invoice.payment_failed', period.end + HOUR],
    ]);
    const pastDue = h.receiver
      .ofType('customer.subscription.updated')
      .filter(
        (event) => event.data.object.id === sub.subscriptionId && event.data.object.status === 'past_due',
      );
    expect(pastDue.map((event) => event.created)).toEqual([period.end + HOUR]);
  });

  it('leaves a subscription without a metered item as before: finalized and charged at the period end', async () => {
    const { subscriptionId } = await subscribeViaCheckout(h);
    const period = periodOf(await h.stripe.subscriptions.retrieve(subscriptionId));
    await advanceTo(period.end + 1);
    const invoices = await h.stripe.invoices.list({ subscription: subscriptionId });
    const renewal = invoices.data.find((invoice) => invoice.billing_reason === 'subscription_cycle');
    expect(renewal).toMatchObject({
      status: 'paid',
      automatically_finalizes_at: null,
      status_transitions: { finalized_at: period.end, paid_at: period.end },
    });
  });
});
