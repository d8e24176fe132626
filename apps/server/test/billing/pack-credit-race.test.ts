import { creditGrants, personalAccountId } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { sendWebhook } from '../support/webhooks';
import { CARDS, Customer } from './scenarios';

// A pack's checkout.session.completed reads the payment's refunds and disputes from Stripe, then credits
// the pack in its transaction. A refund (or dispute) made between that read and the commit, and handled
// in between, finds no pack: it must still claw back, or the user keeps the money and the runs.

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterEach(async () => {
  billing.emulator.webhooks.resume();
  await billing.emulator.webhooks.drain();
});
afterAll(async () => {
  await billing?.stop();
});

async function grantOf(customer: Customer) {
  const rows = await billing.server.testDb.db
    .select()
    .from(creditGrants)
    .where(eq(creditGrants.accountId, personalAccountId(customer.userId)));
  expect(rows.length).toBeLessThanOrEqual(1);
  const grant = rows[0];
  return {
    remaining: grant?.remaining,
    clawbackUnits: grant?.clawbackUnits,
    clawedBackUnits: grant?.clawedBackUnits,
    amountRefundedCents: grant?.amountRefundedCents,
    amountDisputedCents: grant?.amountDisputedCents,
  };
}

async function allEvents(): Promise<Stripe.Event[]> {
  return billing.stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
}

/** A pack paid at Stripe whose events are held back (none delivered until the test sends them). */
async function paidPackNotCredited() {
  const customer = await Customer.signUp(billing);
  await customer.settle();
  const seen = new Set((await allEvents()).map((event) => event.id));
  billing.emulator.webhooks.pause();
  const session = await customer.call('mutation', 'billing.createPackCheckout', { packId: 'PACK_100' });
  expect(session.status).toBe(200);
  expect((await payCheckout(session.data.url as string, CARDS.success)).status).toBe(303);
  const paid = await billing.stripe.checkout.sessions.retrieve(session.data.id as string);
  const paymentIntentId = paid.payment_intent as string;
  const intent = await billing.stripe.paymentIntents.retrieve(paymentIntentId);
  /** The events of this type Stripe made since the customer signed up and the test hasn't sent, oldest first. */
  const newEvents = async (type: string) => {
    const events = (await allEvents()).filter((e) => !seen.has(e.id) && e.type === type).reverse();
    for (const event of events) seen.add(event.id);
    return events;
  };
  const newEvent = async (type: string) => {
    const [event] = await newEvents(type);
    if (!event) throw new Error(`Stripe made no ${type}`);
    return event;
  };
  return { customer, paymentIntentId, chargeId: intent.latest_charge as string, newEvent, newEvents };
}

/**
 * Runs `meanwhile` once, right after the server's next read of a payment's charges (the session's
 * read of what was refunded) and before that read's answer reaches it: whatever happens there comes
 * after the read and before the credit commits. The Stripe client is the one the server uses.
 */
function afterNextChargesRead(meanwhile: () => Promise<void>) {
  const charges = billing.stripe.charges as unknown as { list: (...args: unknown[]) => Promise<unknown> };
  const realList = charges.list.bind(charges);
  let isDone = false;
  charges.list = async (...args: unknown[]) => {
    const page = await realList(...args);
    if (!isDone) {
      isDone = true;
      await meanwhile();
    }
    return page;
  };
  onTestFinished(() => {
    Reflect.deleteProperty(charges, 'list');
  });
}

async function deliverAs(event: Stripe.Event, status: string) {
  const answer = await sendWebhook(billing, event);
  expect(answer.status).toBe(200);
  expect(answer.body['status']).toBe(status);
}

async function isOutOfRuns(customer: Customer): Promise<boolean> {
  // The FREE allowance (10) first; anything beyond would come from the pack.
  const allowance = await customer.call('mutation', 'usage.authorize', { runId: 'allowance', estimate: 10 });
  expect(allowance.status).toBe(200);
  const beyond = await customer.call('mutation', 'usage.authorize', { runId: 'beyond' });
  return beyond.status === 402;
}

describe('a refund or dispute handled while checkout.session.completed credits the pack', () => {
  it('a full refund after the session read Stripe, handled before its commit: the pack is not spendable', async () => {
    const { customer, paymentIntentId, newEvent } = await paidPackNotCredited();
    afterNextChargesRead(async () => {
      await billing.stripe.refunds.create({ payment_intent: paymentIntentId });
      // No pack yet: nothing to claw back now, but what the refund says is kept for the credit.
      await deliverAs(await newEvent('charge.refunded'), 'ignored');
    });
    await deliverAs(await newEvent('checkout.session.completed'), 'processed');

    expect(await grantOf(customer)).toEqual({
      remaining: 0,
      clawbackUnits: 100,
      clawedBackUnits: 100,
      amountRefundedCents: 1000,
      amountDisputedCents: 0,
    });
    expect(await isOutOfRuns(customer)).toBe(true);
  }, 120_000);

  it('refunded before the read and again after it: the clawback follows the cumulative amount, once', async () => {
    const { customer, paymentIntentId, newEvent, newEvents } = await paidPackNotCredited();
    // $2 refunded before the session is handled (its read sees it), then $1.33 more after the read.
    await billing.stripe.refunds.create({ payment_intent: paymentIntentId, amount: 200 });
    afterNextChargesRead(async () => {
      await billing.stripe.refunds.create({ payment_intent: paymentIntentId, amount: 133 });
      const refunds = await newEvents('charge.refunded');
      expect(refunds).toHaveLength(2);
      for (const event of refunds) await deliverAs(event, 'ignored');
    });
    await deliverAs(await newEvent('checkout.session.completed'), 'processed');

    // ⌈100 × 333 ÷ 1000⌉ = 34: the two readings (200 and 333) are the same refunds, not 200 + 333.
    expect(await grantOf(customer)).toMatchObject({
      remaining: 66,
      clawbackUnits: 34,
      amountRefundedCents: 333,
    });

    // Every event again, twice over (Stripe's at-least-once delivery): nothing changes.
    billing.emulator.webhooks.resume();
    await billing.emulator.webhooks.drain();
    for (const event of await allEvents()) {
      expect((await sendWebhook(billing, { ...event, id: `${event.id}_again` })).status).toBe(200);
    }
    expect(await grantOf(customer)).toMatchObject({
      remaining: 66,
      clawbackUnits: 34,
      amountRefundedCents: 333,
    });
  }, 120_000);

  it('a dispute opened after the session read Stripe, handled before its commit: the pack starts clawed back', async () => {
    const { customer, chargeId, newEvent } = await paidPackNotCredited();
    afterNextChargesRead(async () => {
      billing.emulator.charges.dispute(chargeId);
      await deliverAs(await newEvent('charge.dispute.created'), 'ignored');
    });
    await deliverAs(await newEvent('checkout.session.completed'), 'processed');

    expect(await grantOf(customer)).toEqual({
      remaining: 0,
      clawbackUnits: 100,
      clawedBackUnits: 100,
      amountRefundedCents: 0,
      amountDisputedCents: 1000,
    });
    expect(await isOutOfRuns(customer)).toBe(true);
  }, 120_000);
});
