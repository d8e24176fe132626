import { readFileSync } from 'node:fs';
import {
  parseStripeCheckoutSession,
  parseStripeEvent,
  parseStripeInvoice,
  parseStripeSubscription,
} from '@tollgate/domain';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';

/**
 * Real payloads recorded from Stripe (API 2025-12-15.clover) are the reference: every field they
 * carry must be in what the emulator emits, except fields the endive API (the SDK's pinned version)
 * no longer has.
 */
const REMOVED_IN_ENDIVE: Record<string, string[]> = {
  subscription: ['plan', 'quantity'],
};

function fixture(name: string): Stripe.Event {
  const url = new URL(`./fixtures/clover-2025-12-15/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Stripe.Event;
}

function missingKeys(reference: object, ours: object, objectType: string): string[] {
  const removed = REMOVED_IN_ENDIVE[objectType] ?? [];
  return Object.keys(reference).filter((key) => !(key in ours) && !removed.includes(key));
}

let h: Harness;
let events: Stripe.Event[];

beforeAll(async () => {
  h = await startHarness();
  const { subscriptionId } = await subscribeViaCheckout(h);
  await h.stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
  await h.emulator.clock.advance(32 * 86_400);
  await h.emulator.webhooks.drain();
  events = h.receiver.events;
});
afterAll(async () => {
  await h.close();
});

function ours(type: string): Stripe.Event {
  const event = events.find((candidate) => candidate.type === type);
  if (!event) throw new Error(`no ${type} event was emitted`);
  return event;
}

describe('event shapes match real Stripe payloads', () => {
  it.each([
    ['checkout.session.completed', 'checkout.session.completed', 'checkout.session'],
    ['customer.subscription.created', 'customer.subscription.created', 'subscription'],
    ['customer.subscription.deleted', 'customer.subscription.deleted', 'subscription'],
    ['invoice.payment_succeeded', 'invoice.payment_succeeded', 'invoice'],
  ])('%s has every field of the recorded payload', (file, type, objectType) => {
    const reference = fixture(file);
    const emitted = ours(type);
    expect(missingKeys(reference, emitted, 'event')).toEqual([]);
    expect(missingKeys(reference.data.object, emitted.data.object, objectType)).toEqual([]);
    expect(emitted.api_version).toBe('2026-10-28.endive');
  });

  it('keeps periods on subscription items and the invoice link under parent', () => {
    const subscription = ours('customer.subscription.created').data.object as Stripe.Subscription;
    const referenceItem = (fixture('customer.subscription.created').data.object as Stripe.Subscription).items
      .data[0];
    const item = subscription.items.data[0];
    if (!referenceItem || !item) throw new Error('no items');
    expect(missingKeys(referenceItem, item, 'subscription_item')).toEqual([]);
    expect(subscription).not.toHaveProperty('current_period_end');
    const invoice = ours('invoice.payment_succeeded').data.object as Stripe.Invoice;
    expect(invoice).not.toHaveProperty('subscription');
    expect(invoice.parent?.subscription_details?.subscription).toBe(subscription.id);
    const referenceLine = (fixture('invoice.payment_succeeded').data.object as Stripe.Invoice).lines.data[0];
    const line = invoice.lines.data[0];
    if (!referenceLine || !line) throw new Error('no lines');
    expect(missingKeys(referenceLine, line, 'line_item')).toEqual([]);
  });

  it('reports cancel_at_period_end changes with the same previous_attributes as Stripe', () => {
    const reference = fixture('customer.subscription.updated.cancel-at-period-end');
    const emitted = events.find(
      (event) => event.type === 'customer.subscription.updated' && event.data.previous_attributes,
    );
    expect(emitted?.data.previous_attributes).toEqual(reference.data.previous_attributes);
  });
});

describe('the domain parsers read what the emulator emits', () => {
  it('parses every emitted event and its subscription, invoice and checkout session', () => {
    for (const event of events) expect(() => parseStripeEvent(event)).not.toThrow();
    const subscription = parseStripeSubscription(ours('customer.subscription.created').data.object);
    const item = (ours('customer.subscription.created').data.object as Stripe.Subscription).items.data[0];
    expect(subscription.currentPeriodEnd?.getTime()).toBe((item?.current_period_end ?? 0) * 1000);
    expect(subscription.priceId).toBe(h.emulator.prices.BASIC);
    const invoice = parseStripeInvoice(ours('invoice.payment_succeeded').data.object);
    expect(invoice.subscriptionId).toBe(subscription.id);
    const session = parseStripeCheckoutSession(ours('checkout.session.completed').data.object);
    expect(session).toMatchObject({
      subscriptionId: subscription.id,
      status: 'complete',
      paymentStatus: 'paid',
    });
  });
});
