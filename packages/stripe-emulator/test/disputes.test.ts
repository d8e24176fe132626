import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorControl } from '../src';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';
import { createPackSession, paidPack, payOnPage, paymentEventTypes, paymentOf } from './support/payments';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await h.emulator.webhooks.drain();
  h.receiver.clear();
});

/** Stripe's example dispute (stripe/openapi fixtures3.json, see test/fixtures/README.md). */
function referenceDispute(): Record<string, object> {
  const url = new URL('./fixtures/openapi/dispute.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, object>;
}

function missingKeys(reference: object, ours: object): string[] {
  return Object.keys(reference).filter((key) => !(key in ours));
}

/** A paid pack (4242) disputed through the control API, its events delivered and cleared. */
async function disputedPack(options: { amount?: number } = {}) {
  const pack = await paidPack(h);
  const dispute = h.emulator.charges.dispute(pack.charge.id, options);
  await h.emulator.webhooks.drain();
  h.receiver.clear();
  return { ...pack, dispute };
}

async function disputeEvents(): Promise<Stripe.Event[]> {
  await h.emulator.webhooks.drain();
  return h.receiver.events.filter((event) => event.type.startsWith('charge.dispute.'));
}

describe('test card 4000 0000 0000 0259 (dispute: fraudulent)', () => {
  it('pays, then the payment is disputed at once: needs_response, money and fee withdrawn, charge disputed', async () => {
    const customer = await h.stripe.customers.create({ email: 'fraud@example.com' });
    const session = await createPackSession(h, { customer: customer.id });
    expect((await payOnPage(session, '4000 0000 0000 0259')).status).toBe(303);
    const { intent, charge } = await paymentOf(h, session.id);
    expect(charge).toMatchObject({ status: 'succeeded', paid: true, disputed: true });

    await h.emulator.webhooks.drain();
    expect(paymentEventTypes(h)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
      'checkout.session.completed',
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
    ]);
    const [created] = h.receiver.ofType('charge.dispute.created');
    const dispute = created?.data.object;
    expect(dispute).toMatchObject({
      object: 'dispute',
      amount: 1000,
      currency: 'usd',
      charge: charge.id,
      payment_intent: intent.id,
      reason: 'fraudulent',
      status: 'needs_response',
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      network_reason_code: '10.4',
      payment_method_details: {
        type: 'card',
        card: { brand: 'visa', case_type: 'chargeback', network: 'visa', network_reason_code: '10.4' },
      },
      evidence_details: { has_evidence: false, past_due: false, submission_count: 0 },
      balance_transactions: [
        {
          object: 'balance_transaction',
          amount: -1000,
          fee: 1500,
          net: -2500,
          type: 'adjustment',
          reporting_category: 'dispute',
          source: dispute?.id,
          fee_details: [{ amount: 1500, type: 'stripe_fee', description: 'Dispute fee' }],
        },
      ],
    });
    expect(dispute?.id).toMatch(/^du_/);
    // Due at the end of a UTC day, weeks after the dispute opened.
    const dueBy = dispute?.evidence_details.due_by ?? 0;
    expect((dueBy + 1) % 86_400).toBe(0);
    expect(dueBy - (dispute?.created ?? 0)).toBeGreaterThan(7 * 86_400);
  });

  it('has every field of Stripe’s example dispute', async () => {
    const { dispute } = await disputedPack();
    const reference = referenceDispute();
    expect(missingKeys(reference, dispute)).toEqual([]);
    for (const nested of ['evidence', 'evidence_details', 'payment_method_details'] as const) {
      expect(missingKeys(reference[nested] ?? {}, dispute[nested] ?? {})).toEqual([]);
    }
  });

  it('disputes an off-session PaymentIntent confirmed with pm_card_createDispute too', async () => {
    const intent = await h.stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      payment_method: 'pm_card_createDispute',
      confirm: true,
    });
    expect(intent.status).toBe('succeeded');
    const disputes = await h.stripe.disputes.list({ payment_intent: intent.id });
    expect(disputes.data).toHaveLength(1);
    expect(disputes.data[0]).toMatchObject({ amount: 2500, status: 'needs_response' });
  });
});

describe('the Dispute API', () => {
  it('retrieves and lists disputes by charge or payment intent, and expands the charge', async () => {
    const { dispute, charge, intent } = await disputedPack();
    expect(await h.stripe.disputes.retrieve(dispute.id)).toMatchObject({ id: dispute.id, amount: 1000 });
    expect((await h.stripe.disputes.list({ charge: charge.id })).data.map((d) => d.id)).toEqual([dispute.id]);
    const byIntent = await h.stripe.disputes.list({ payment_intent: intent.id });
    expect(byIntent.data.map((d) => d.id)).toEqual([dispute.id]);
    expect((await h.stripe.disputes.list({ charge: 'ch_none' })).data).toEqual([]);
    const expanded = await h.stripe.disputes.retrieve(dispute.id, { expand: ['charge'] });
    expect(expanded.charge).toMatchObject({ id: charge.id, disputed: true });
    await expect(h.stripe.disputes.retrieve('du_missing')).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
  });

  it('updates metadata at any time (charge.dispute.updated with previous_attributes)', async () => {
    const { dispute } = await disputedPack();
    const updated = await h.stripe.disputes.update(dispute.id, { metadata: { ticket: 'T-1' } });
    expect(updated).toMatchObject({ status: 'needs_response', metadata: { ticket: 'T-1' } });
    const [event] = await disputeEvents();
    expect(event).toMatchObject({
      type: 'charge.dispute.updated',
      data: { object: { metadata: { ticket: 'T-1' } }, previous_attributes: { metadata: {} } },
    });
  });

  it('stages evidence with submit=false: has_evidence, still needs_response, nothing submitted', async () => {
    const { dispute } = await disputedPack();
    const staged = await h.stripe.disputes.update(dispute.id, {
      evidence: { product_description: '100 agent runs', uncategorized_text: 'winning_evidence' },
      submit: false,
    });
    expect(staged).toMatchObject({
      status: 'needs_response',
      evidence: { product_description: '100 agent runs', uncategorized_text: 'winning_evidence' },
      evidence_details: { has_evidence: true, submission_count: 0, submission_method: 'not_submitted' },
    });
    await h.emulator.clock.advance(120);
    expect((await h.stripe.disputes.retrieve(dispute.id)).status).toBe('needs_response');
  });

  it('winning_evidence: under_review, then a minute later won, the amount reinstated (fee kept)', async () => {
    const { dispute } = await disputedPack();
    const submitted = await h.stripe.disputes.update(dispute.id, {
      evidence: { uncategorized_text: 'winning_evidence' },
    });
    expect(submitted).toMatchObject({
      status: 'under_review',
      evidence_details: { has_evidence: true, submission_count: 1, submission_method: 'manual' },
    });
    await expect(
      h.stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'more' } }),
    ).rejects.toMatchObject({ statusCode: 400 });
    expect((await disputeEvents()).map((event) => event.type)).toEqual(['charge.dispute.updated']);

    h.receiver.clear();
    await h.emulator.clock.advance(61);
    const events = await disputeEvents();
    expect(events.map((event) => event.type)).toEqual([
      'charge.dispute.closed',
      'charge.dispute.funds_reinstated',
    ]);
    const won = await h.stripe.disputes.retrieve(dispute.id);
    expect(won.status).toBe('won');
    expect(won.balance_transactions.map((txn) => [txn.amount, txn.fee, txn.reporting_category])).toEqual([
      [-1000, 1500, 'dispute'],
      [1000, 0, 'dispute_reversal'],
    ]);
    expect(events[1]?.data.object).toMatchObject({
      status: 'won',
      balance_transactions: won.balance_transactions,
    });
  });

  it('losing_evidence: under_review, then lost (charge.dispute.closed only, nothing reinstated)', async () => {
    const { dispute } = await disputedPack();
    await h.stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'losing_evidence' } });
    await h.emulator.clock.advance(61);
    expect((await disputeEvents()).map((event) => event.type)).toEqual([
      'charge.dispute.updated',
      'charge.dispute.closed',
    ]);
    const lost = await h.stripe.disputes.retrieve(dispute.id);
    expect(lost).toMatchObject({ status: 'lost' });
    expect(lost.balance_transactions).toHaveLength(1);
  });

  it('close accepts the dispute: lost, charge.dispute.closed; a closed dispute cannot be closed again', async () => {
    const { dispute } = await disputedPack();
    expect(await h.stripe.disputes.close(dispute.id)).toMatchObject({ status: 'lost' });
    expect((await disputeEvents()).map((event) => event.type)).toEqual(['charge.dispute.closed']);
    await expect(h.stripe.disputes.close(dispute.id)).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      h.stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'winning_evidence' } }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  it('a charged-back payment cannot be refunded (charge_disputed)', async () => {
    const { intent } = await disputedPack();
    await expect(h.stripe.refunds.create({ payment_intent: intent.id })).rejects.toMatchObject({
      statusCode: 400,
      code: 'charge_disputed',
    });
  });
});

describe('the control API opens a dispute on any succeeded card charge', () => {
  it('over HTTP, for part of a partly refunded pack bought with 4242', async () => {
    const { charge } = await paidPack(h);
    await h.stripe.refunds.create({ charge: charge.id, amount: 300 });
    const control = emulatorControl(h.emulator.url);
    await expect(control.disputeCharge(charge.id, { amount: 701 })).rejects.toThrow(/between 1 and 700/);
    const answer = await control.disputeCharge(charge.id, { amount: 500, reason: 'product_not_received' });
    expect(answer.charge).toMatchObject({ id: charge.id, disputed: true, amount_refunded: 300 });
    expect(answer.dispute).toMatchObject({
      amount: 500,
      reason: 'product_not_received',
      status: 'needs_response',
    });
    await expect(control.disputeCharge(charge.id)).rejects.toThrow(/already disputed/);
    await expect(control.disputeCharge('ch_missing')).rejects.toThrow(/HTTP 404/);
  });

  it('refuses a declined charge', async () => {
    const customer = await h.stripe.customers.create({ email: 'declined@example.com' });
    const session = await createPackSession(h, { customer: customer.id });
    await payOnPage(session, '4000 0000 0000 0002');
    const intent = await h.stripe.paymentIntents.retrieve(
      (await h.stripe.checkout.sessions.retrieve(session.id)).payment_intent as string,
    );
    const declined = intent.latest_charge as string;
    expect(() => h.emulator.charges.dispute(declined)).toThrow(/status of failed/);
  });

  it('the SDK sees the same errors as Stripe objects', async () => {
    await expect(h.stripe.disputes.update('du_missing', { metadata: { a: 'b' } })).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );
  });
});
