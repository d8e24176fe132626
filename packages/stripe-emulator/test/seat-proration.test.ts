import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, periodOf, startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';

/**
 * Seats 3 -> 4 -> 3 on BASIC (19.00 a seat a month) with create_prorations, at fixed proration dates
 * 10 and 20 days into a 31-day period (January), so every amount is known to the cent:
 * round(unit × quantity × remaining / period).
 */
const UNIT = 1900;
const PERIOD = 31 * DAY;

let h: Harness;
let subscriptionId: string;
let customerId: string;
let period: { start: number; end: number };
let itemId: string;
let firstInvoice: Stripe.Invoice;
const updates: Stripe.Subscription[] = [];

function expected(quantity: number, remaining: number): number {
  return Math.round((UNIT * quantity * remaining) / PERIOD);
}

beforeAll(async () => {
  h = await startHarness({ startTime: new Date('2026-01-01T00:00:00Z') });
  const subscribed = await subscribeViaCheckout(h, { quantity: 3 });
  subscriptionId = subscribed.subscriptionId;
  customerId = subscribed.customer.id;
  const subscription = await h.stripe.subscriptions.retrieve(subscriptionId, { expand: ['latest_invoice'] });
  period = periodOf(subscription);
  itemId = subscription.items.data[0]?.id ?? '';
  firstInvoice = subscription.latest_invoice as Stripe.Invoice;
  await h.emulator.webhooks.drain();
  h.receiver.clear();

  await h.emulator.clock.advance(10 * DAY);
  updates.push(
    await h.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: itemId, quantity: 4 }],
      proration_behavior: 'create_prorations',
      proration_date: period.start + 10 * DAY,
    }),
  );
  await h.emulator.clock.advance(10 * DAY);
  updates.push(
    await h.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: itemId, quantity: 3 }],
      proration_date: period.start + 20 * DAY, // create_prorations is the default
    }),
  );
});
afterAll(async () => {
  await h.close();
});

describe('seat changes with create_prorations', () => {
  it('starts from a checkout with quantity 3 billed at unit × 3', async () => {
    expect(period.end - period.start).toBe(PERIOD);
    const created = h.stripe.events.list({ type: 'customer.subscription.created' });
    const [event] = (await created).data;
    expect((event?.data.object as Stripe.Subscription).items.data[0]?.quantity).toBe(3);
    expect(firstInvoice).toMatchObject({ amount_paid: 3 * UNIT, billing_reason: 'subscription_create' });
    expect(firstInvoice.lines.data.map((line) => line.quantity)).toEqual([3]);
  });

  it('changes the quantity and leaves two pending items per change, exact to the cent', async () => {
    expect(updates.map((sub) => sub.items.data[0]?.quantity)).toEqual([4, 3]);
    const pending = await h.stripe.invoiceItems.list({ customer: customerId, pending: true });
    const oldestFirst = [...pending.data].reverse();
    expect(oldestFirst.map((item) => [item.amount, item.quantity])).toEqual([
      [-3861, 3],
      [5148, 4],
      [-2697, 4],
      [2023, 3],
    ]);
    expect(-3861).toBe(-expected(3, 21 * DAY));
    expect(5148).toBe(expected(4, 21 * DAY));
    expect(-2697).toBe(-expected(4, 11 * DAY));
    expect(2023).toBe(expected(3, 11 * DAY));
    expect(oldestFirst.map((item) => item.period)).toEqual([
      { start: period.start + 10 * DAY, end: period.end },
      { start: period.start + 10 * DAY, end: period.end },
      { start: period.start + 20 * DAY, end: period.end },
      { start: period.start + 20 * DAY, end: period.end },
    ]);
  });

  it('shapes each ii_ like Stripe: a pending, non-discountable proration of the subscription item', async () => {
    const pending = await h.stripe.invoiceItems.list({ customer: customerId, pending: true });
    const [charge2, credit2, charge1, credit1] = pending.data;
    if (!credit1 || !charge1 || !credit2 || !charge2) throw new Error('missing items');
    expect(credit1).toMatchObject({
      object: 'invoiceitem',
      invoice: null,
      proration: true,
      discountable: false,
      currency: 'usd',
      customer: customerId,
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: subscriptionId, subscription_item: itemId },
      },
      pricing: { price_details: { price: h.emulator.prices.BASIC } },
    });
    expect(credit1.id).toMatch(/^ii_/);
    expect(credit1.description).toBe('Unused time on 3 × Basic monthly after 11 Jan 2026');
    expect(charge1.description).toBe('Remaining time on 4 × Basic monthly after 11 Jan 2026');
    // the first credit reverses the checkout invoice's line; the second the first change's charge
    expect(credit1.proration_details?.credited_items).toEqual({
      type: 'invoice_line_items',
      invoice_line_item_details: {
        invoice: firstInvoice.id,
        invoice_line_items: [firstInvoice.lines.data[0]?.id],
      },
    });
    expect(credit2.proration_details?.credited_items).toEqual({
      type: 'invoice_item',
      invoice_item: charge1.id,
    });
    expect(charge1.proration_details?.credited_items).toBeNull();
    expect((await h.stripe.invoiceItems.retrieve(credit1.id)).amount).toBe(-3861);
  });

  it('reports each change in customer.subscription.updated with the old items', async () => {
    await h.emulator.webhooks.drain();
    const updated = h.receiver.ofType('customer.subscription.updated');
    expect(updated.map((event) => event.data.previous_attributes?.items?.data[0]?.quantity)).toEqual([3, 4]);
    expect(updated.map((event) => event.data.object.items.data[0]?.quantity)).toEqual([4, 3]);
    // endive has no top-level subscription quantity, so previous_attributes has none either
    expect(updated.every((event) => !('quantity' in (event.data.previous_attributes ?? {})))).toBe(true);
    expect(h.receiver.ofType('invoiceitem.created').map((event) => event.data.object.amount)).toEqual([
      -3861, 5148, -2697, 2023,
    ]);
    expect(h.receiver.ofType('invoice.created')).toHaveLength(0);
  });

  it('adds the prorations to the next renewal invoice: base × quantity + prorations', async () => {
    await h.emulator.clock.advance(period.end - period.start - 20 * DAY + 60);
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId, {
      expand: ['latest_invoice'],
    });
    const invoice = subscription.latest_invoice as Stripe.Invoice;
    const prorations = -3861 + 5148 - 2697 + 2023;
    expect(invoice).toMatchObject({
      billing_reason: 'subscription_cycle',
      status: 'paid',
      subtotal: 3 * UNIT + prorations,
      total: 3 * UNIT + prorations,
      amount_paid: 6313,
    });
    const lines = invoice.lines.data;
    expect(lines.map((line) => line.amount)).toEqual([-3861, 5148, -2697, 2023, 3 * UNIT]);
    expect(lines.map((line) => line.parent?.subscription_item_details?.proration)).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    const items = [...(await h.stripe.invoiceItems.list({ invoice: invoice.id })).data].reverse();
    expect(lines.slice(0, 4).map((line) => line.parent?.subscription_item_details?.invoice_item)).toEqual(
      items.map((item) => item.id),
    );
    expect(items.every((item) => item.invoice === invoice.id)).toBe(true);
    expect((await h.stripe.invoiceItems.list({ customer: customerId, pending: true })).data).toEqual([]);

    const [credit1, charge1, credit2] = lines;
    expect(credit1).toMatchObject({
      discountable: false,
      period: { start: period.start + 10 * DAY, end: period.end },
      quantity: 3,
      parent: {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: {
          proration: true,
          subscription: subscriptionId,
          subscription_item: itemId,
          proration_details: {
            credited_items: {
              invoice: firstInvoice.id,
              invoice_line_items: [firstInvoice.lines.data[0]?.id],
            },
          },
        },
      },
    });
    expect(charge1?.parent?.subscription_item_details?.proration_details?.credited_items).toBeNull();
    expect(credit2?.parent?.subscription_item_details?.proration_details?.credited_items).toEqual({
      invoice: invoice.id,
      invoice_line_items: [charge1?.id],
    });
    expect(lines[4]).toMatchObject({
      quantity: 3,
      discountable: true,
      period: { start: period.end },
      parent: { subscription_item_details: { proration: false, invoice_item: null } },
    });
  });
});
