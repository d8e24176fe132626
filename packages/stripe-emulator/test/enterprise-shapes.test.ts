import { readFileSync } from 'node:fs';
import { parseStripeEvent, parseStripeInvoice, parseStripeSubscription } from '@tollgate/domain';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';
import { enterpriseCustomer, enterprisePrice, settled } from './support/enterprise';

/** Recorded Stripe payloads (test/fixtures/README.md); endive dropped the subscription's plan and quantity. */
const REMOVED_IN_ENDIVE = ['plan', 'quantity'];

function fixture(name: string): Stripe.Event {
  const url = new URL(`./fixtures/clover-2025-12-15/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Stripe.Event;
}

function missingKeys(reference: object, ours: object): string[] {
  return Object.keys(reference).filter((key) => !(key in ours) && !REMOVED_IN_ENDIVE.includes(key));
}

let h: Harness;
let events: Stripe.Event[];
let charged: Stripe.Subscription;
let invoiced: Stripe.Subscription;

beforeAll(async () => {
  h = await startHarness();
  const customer = await enterpriseCustomer(h, '4242 4242 4242 4242');
  const price = await enterprisePrice(h);
  await settled(h);
  charged = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  invoiced = await h.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    collection_method: 'send_invoice',
    days_until_due: 30,
  });
  await h.emulator.webhooks.drain();
  events = h.receiver.events;
});
afterAll(async () => {
  await h.close();
});

function emitted(type: string, subscriptionId: string): Stripe.Event {
  const event = events.find((candidate) => {
    const object = candidate.data.object as { id: string; parent?: Stripe.Invoice['parent'] };
    return (
      candidate.type === type &&
      (object.id === subscriptionId || object.parent?.subscription_details?.subscription === subscriptionId)
    );
  });
  if (!event) throw new Error(`no ${type} event for ${subscriptionId}`);
  return event;
}

describe('API-created subscriptions and their invoices have the recorded payloads’ shapes', () => {
  it.each([
    ['customer.subscription.created', 'customer.subscription.created'],
    ['customer.subscription.updated', 'customer.subscription.updated.renewal'],
    ['invoice.payment_succeeded', 'invoice.payment_succeeded'],
  ])('charge_automatically %s has every field of the recorded one', (type, file) => {
    const reference = fixture(file);
    const ours = emitted(type, charged.id);
    expect(missingKeys(reference, ours)).toEqual([]);
    expect(missingKeys(reference.data.object, ours.data.object)).toEqual([]);
  });

  it.each(['invoice.finalized', 'invoice.sent'])(
    'send_invoice %s is an invoice like the recorded one',
    (type) => {
      const reference = fixture('invoice.payment_succeeded').data.object;
      const ours = emitted(type, invoiced.id).data.object as Stripe.Invoice;
      expect(missingKeys(reference, ours)).toEqual([]);
      expect(ours).toMatchObject({ collection_method: 'send_invoice', status: 'open' });
      expect(ours.due_date).toEqual(expect.any(Number));
    },
  );

  it('the domain parsers read them', () => {
    for (const event of events) expect(() => parseStripeEvent(event)).not.toThrow();
    expect(
      parseStripeSubscription(emitted('customer.subscription.created', invoiced.id).data.object),
    ).toMatchObject({
      id: invoiced.id,
      status: 'active',
    });
    const invoice = parseStripeInvoice(emitted('invoice.sent', invoiced.id).data.object);
    expect(invoice.subscriptionId).toBe(invoiced.id);
  });
});
