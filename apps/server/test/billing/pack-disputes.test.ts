import { creditGrants, personalAccountId, stripeEvents } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { eventOf, sendWebhook } from '../support/webhooks';
import { customerIdOf } from './account-rows';
import { recordingLogger } from './overage-metering-helpers';
import { CARDS, Customer } from './scenarios';

// A customer buys a run pack, spends some of it, then disputes the card payment with their bank: the
// money goes back to them, so the runs not spent go too (spent runs stay spent), whatever order or how
// many times Stripe's dispute events arrive, even before the purchase's own.

/** Stripe's test card whose payment is disputed as fraudulent right after it succeeds. */
const DISPUTED_CARD = '4000000000000259';

const logger = recordingLogger();
let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer({}, {}, {}, { logger });
});
afterAll(async () => {
  await billing?.stop();
});
beforeEach(async () => {
  await billing.emulator.webhooks.drain();
});

const db = () => billing.server.testDb.db;

async function grantOf(customer: Customer) {
  const rows = await db()
    .select()
    .from(creditGrants)
    .where(eq(creditGrants.accountId, personalAccountId(customer.userId)));
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0];
}

async function buyPack(customer: Customer, card: string = CARDS.success) {
  const session = await customer.call('mutation', 'billing.createPackCheckout', { packId: 'PACK_100' });
  expect(session.status).toBe(200);
  expect((await payCheckout(session.data.url as string, card)).status).toBe(303);
  await customer.settle();
  return session.data.id as string;
}

async function chargeOf(customer: Customer): Promise<string> {
  const paymentIntentId = (await grantOf(customer))?.paymentIntentId;
  if (!paymentIntentId) throw new Error('no pack was credited');
  const intent = await billing.stripe.paymentIntents.retrieve(paymentIntentId);
  return intent.latest_charge as string;
}

async function authorize(customer: Customer, runId: string, estimate?: number) {
  return customer.call('mutation', 'usage.authorize', { runId, ...(estimate ? { estimate } : {}) });
}

async function allEvents(): Promise<Stripe.Event[]> {
  return billing.stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
}

/** The dispute events of one charge, oldest first. */
async function disputeEventsOf(chargeId: string): Promise<Stripe.Event[]> {
  const events = await allEvents();
  return events
    .filter((event) => event.type.startsWith('charge.dispute.'))
    .filter((event) => (event.data.object as Stripe.Dispute).charge === chargeId)
    .reverse();
}

/** Signs and sends each event (Stripe's own, or one made with eventOf) in order; every answer is 200. */
async function deliver(events: ReadonlyArray<{ type: string }>): Promise<string[]> {
  const answers: string[] = [];
  for (const event of events) {
    const answer = await sendWebhook(billing, event);
    expect(answer.status).toBe(200);
    answers.push(`${event.type}:${String(answer.body['status'])}`);
  }
  return answers;
}

const clawbackOf = (grant: Awaited<ReturnType<typeof grantOf>>) => ({
  remaining: grant?.remaining,
  clawbackUnits: grant?.clawbackUnits,
  clawedBackUnits: grant?.clawedBackUnits,
  amountDisputedCents: grant?.amountDisputedCents,
  amountDisputeWonCents: grant?.amountDisputeWonCents,
});

describe('a dispute of a pack’s card payment claws back what was not spent', () => {
  it('30 runs spent, then the charge is disputed: the other 70 are gone and a run beyond is 402', async () => {
    const customer = await Customer.signUp(billing);
    await buyPack(customer);
    // 10 of the allowance + 30 of the pack.
    expect((await authorize(customer, 'spent', 40)).status).toBe(200);
    const chargeId = await chargeOf(customer);

    billing.emulator.charges.dispute(chargeId);
    await customer.settle();
    expect(clawbackOf(await grantOf(customer))).toEqual({
      remaining: 0,
      clawbackUnits: 100,
      clawedBackUnits: 70,
      amountDisputedCents: 1000,
      amountDisputeWonCents: 0,
    });
    // The customer's balance says why the runs are gone.
    const balance = await customer.call('query', 'usage.balance');
    expect(balance.data.grants).toMatchObject([
      { remaining: 0, clawedBackUnits: 70, amountRefundedCents: 0, amountDisputedCents: 1000 },
    ]);
    const denied = await authorize(customer, 'after-dispute');
    expect(denied.status).toBe(402);
    expect(denied.error?.data.paymentRequired).toMatchObject({ code: 'USAGE_LIMIT_REACHED' });

    // The merchant accepts the dispute (lost): the money stays with the bank, the runs stay gone.
    const [dispute] = (await billing.stripe.disputes.list({ charge: chargeId })).data;
    await billing.stripe.disputes.close(dispute?.id ?? '');
    await customer.settle();
    expect(clawbackOf(await grantOf(customer))).toMatchObject({ remaining: 0, clawedBackUnits: 70 });
    expect((await authorize(customer, 'after-lost')).status).toBe(402);
  }, 120_000);

  it('the same dispute events delivered twice and in reverse order leave the same balance', async () => {
    const customer = await Customer.signUp(billing);
    await buyPack(customer);
    expect((await authorize(customer, 'spent', 40)).status).toBe(200);
    const chargeId = await chargeOf(customer);
    billing.emulator.charges.dispute(chargeId);
    await customer.settle();
    const once = clawbackOf(await grantOf(customer));

    const events = await disputeEventsOf(chargeId);
    expect(events.map((event) => event.type)).toEqual([
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
    ]);
    // Redelivered by Stripe (stored once: duplicates), and as new events (other ids) in reverse order.
    expect(await deliver([...events, ...events])).toEqual([
      'charge.dispute.created:duplicate',
      'charge.dispute.funds_withdrawn:duplicate',
      'charge.dispute.created:duplicate',
      'charge.dispute.funds_withdrawn:duplicate',
    ]);
    const fresh = [...events].reverse().map((event) => eventOf(event.type, event.data.object));
    expect(await deliver([...fresh, ...fresh])).toEqual([
      'charge.dispute.funds_withdrawn:processed',
      'charge.dispute.created:processed',
      'charge.dispute.funds_withdrawn:duplicate',
      'charge.dispute.created:duplicate',
    ]);
    expect(clawbackOf(await grantOf(customer))).toEqual(once);
    expect(once).toMatchObject({ remaining: 0, clawedBackUnits: 70 });
  }, 120_000);

  it('a dispute delivered before checkout.session.completed: the pack starts clawed back', async () => {
    const customer = await Customer.signUp(billing);
    await customer.settle();
    const seen = new Set((await allEvents()).map((event) => event.id));
    // Stripe's deliveries stall: nothing arrives until the events are sent below.
    billing.emulator.webhooks.pause();
    onTestFinished(() => billing.emulator.webhooks.resume());
    // Stripe's test card: the payment succeeds, then is disputed as fraudulent at once.
    const session = await customer.call('mutation', 'billing.createPackCheckout', { packId: 'PACK_100' });
    expect((await payCheckout(session.data.url as string, DISPUTED_CARD)).status).toBe(303);
    const events = (await allEvents()).filter((event) => !seen.has(event.id)).reverse();
    const isDispute = (event: Stripe.Event) => event.type.startsWith('charge.dispute.');
    const disputes = events.filter(isDispute);
    expect(disputes.map((event) => event.type)).toEqual([
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
    ]);

    // The disputes land first: no pack yet, so nothing to claw back (recorded, answered 200).
    expect(await deliver(disputes)).toEqual([
      'charge.dispute.created:ignored',
      'charge.dispute.funds_withdrawn:ignored',
    ]);
    expect(await grantOf(customer)).toBeUndefined();
    expect(await deliver(events.filter((event) => !isDispute(event)))).toContain(
      'checkout.session.completed:processed',
    );
    expect(clawbackOf(await grantOf(customer))).toEqual({
      remaining: 0,
      clawbackUnits: 100,
      clawedBackUnits: 100,
      amountDisputedCents: 1000,
      amountDisputeWonCents: 0,
    });
    // The allowance is there; the pack is not.
    expect((await authorize(customer, 'allowance', 10)).status).toBe(200);
    expect((await authorize(customer, 'beyond')).status).toBe(402);
  }, 120_000);

  it('a dispute the merchant wins keeps its clawback (an operator may grant runs back); the win is recorded', async () => {
    const customer = await Customer.signUp(billing);
    await buyPack(customer);
    const chargeId = await chargeOf(customer);
    const dispute = billing.emulator.charges.dispute(chargeId);
    await customer.settle();
    expect(clawbackOf(await grantOf(customer))).toMatchObject({ remaining: 0, clawedBackUnits: 100 });

    // Stripe's test evidence: the bank decides for the merchant a minute (emulator time) later.
    await billing.stripe.disputes.update(dispute.id, {
      evidence: { uncategorized_text: 'winning_evidence' },
    });
    await billing.emulator.clock.advance(61);
    await customer.settle();
    expect((await billing.stripe.disputes.retrieve(dispute.id)).status).toBe('won');
    expect((await disputeEventsOf(chargeId)).map((event) => event.type)).toEqual([
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.updated',
      'charge.dispute.closed',
      'charge.dispute.funds_reinstated',
    ]);
    expect(clawbackOf(await grantOf(customer))).toEqual({
      remaining: 0,
      clawbackUnits: 100,
      clawedBackUnits: 100,
      amountDisputedCents: 0,
      amountDisputeWonCents: 1000,
    });
    expect((await authorize(customer, 'allowance', 10)).status).toBe(200);
    expect((await authorize(customer, 'after-win')).status).toBe(402);
    // Every event of the dispute is on the account's timeline.
    const stored = await db()
      .select()
      .from(stripeEvents)
      .where(eq(stripeEvents.accountId, personalAccountId(customer.userId)));
    expect(stored.map((event) => event.type)).toContain('charge.dispute.funds_reinstated');
  }, 120_000);

  it('a dispute of a charge that bought no pack (an invoice’s payment): 200, recorded, a warning, nothing changes', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const before = await customer.storedState();
    const account = await customer.call('query', 'usage.balance');
    // The emulator's invoices carry no charge, so the payment Stripe makes for one is made here the way
    // it is made outside Checkout: a PaymentIntent with no pack in its metadata, disputed as fraudulent.
    const seen = new Set((await allEvents()).map((event) => event.id));
    logger.lines.length = 0;
    const intent = await billing.stripe.paymentIntents.create({
      amount: 1900,
      currency: 'usd',
      customer: await customerIdOf(db(), customer),
      payment_method: 'pm_card_createDispute',
      confirm: true,
      description: 'Subscription update',
    });
    await customer.settle();
    const disputes = (await allEvents()).filter(
      (event) => !seen.has(event.id) && event.type.startsWith('charge.dispute.'),
    );
    expect(disputes.map((event) => event.type).sort()).toEqual([
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
    ]);
    const fresh = disputes.map((event) => eventOf(event.type, event.data.object));
    expect(await deliver(fresh)).toEqual(fresh.map((event) => `${event.type}:ignored`));
    const warnings = logger.lines.filter((line) => line.level === 'warn');
    expect(warnings.map((line) => line.message)).toContain(
      'stripe dispute of a payment that credited no run pack: nothing to claw back',
    );
    expect(warnings[0]?.fields).toMatchObject({ paymentIntentId: intent.id });
    expect(await grantOf(customer)).toBeUndefined();
    expect(await customer.storedState()).toEqual(before);
    expect((await customer.call('query', 'usage.balance')).data).toEqual(account.data);
  }, 120_000);
});

describe('nobody but Stripe can undo a clawback', () => {
  it('an unsigned (or self-signed) charge.dispute.closed saying won is refused 400 and changes nothing', async () => {
    const customer = await Customer.signUp(billing);
    await buyPack(customer);
    const chargeId = await chargeOf(customer);
    const dispute = billing.emulator.charges.dispute(chargeId);
    await customer.settle();
    const clawedBack = clawbackOf(await grantOf(customer));
    expect(clawedBack).toMatchObject({ remaining: 0, clawedBackUnits: 100 });

    const forged = eventOf('charge.dispute.closed', { ...dispute, status: 'won' });
    const body = JSON.stringify(forged);
    const post = (headers: Record<string, string>) =>
      fetch(`${billing.server.url}/api/v1/billing/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    // No signature, the user's own token instead, and a signature made with a secret of their own.
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${customer.token}` },
      {
        'stripe-signature': billing.stripe.webhooks.generateTestHeaderString({
          payload: body,
          secret: 'whsec_the_customers_own',
        }),
      },
    ];
    for (const headers of attempts) {
      const answer = await post(headers);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ error: { code: 'BAD_SIGNATURE' } });
    }
    expect(await db().select().from(stripeEvents).where(eq(stripeEvents.id, forged.id))).toEqual([]);
    expect(clawbackOf(await grantOf(customer))).toEqual(clawedBack);
    // Nor can the user grant the runs back themselves: that is an operator's act.
    const granted = await customer.call('mutation', 'admin.grantCredits', {
      accountId: personalAccountId(customer.userId),
      units: 100,
      expiresAt: null,
      reason: 'my dispute was won',
    });
    expect(granted.status).toBe(403);
    expect((await authorize(customer, 'allowance', 10)).status).toBe(200);
    expect((await authorize(customer, 'still-clawed-back')).status).toBe(402);
  }, 120_000);
});
