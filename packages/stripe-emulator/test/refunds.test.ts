import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPage, textOf } from './support/browser';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';
import { createPackSession, paidPack, payOnPage, paymentEventTypes } from './support/payments';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

async function freshPack() {
  const pack = await paidPack(h);
  await h.emulator.webhooks.drain();
  h.receiver.clear();
  return pack;
}

beforeEach(async () => {
  await h.emulator.webhooks.drain();
  h.receiver.clear();
});

describe('a full refund', () => {
  it('refunds the PaymentIntent’s charge, marks it refunded and emits charge.refunded then refund.created', async () => {
    const { intent, charge } = await freshPack();
    const refund = await h.stripe.refunds.create({
      payment_intent: intent.id,
      reason: 'requested_by_customer',
      metadata: { runId: 'run_1' },
    });
    expect(refund).toMatchObject({
      object: 'refund',
      status: 'succeeded',
      amount: 1000,
      currency: 'usd',
      charge: charge.id,
      payment_intent: intent.id,
      customer: charge.customer,
      reason: 'requested_by_customer',
      metadata: { runId: 'run_1' },
      destination_details: {
        type: 'card',
        card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' },
      },
    });
    expect(refund.id).toMatch(/^re_/);
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({
      amount_refunded: 1000,
      refunded: true,
      paid: true,
      status: 'succeeded',
    });

    await h.emulator.webhooks.drain();
    expect(paymentEventTypes(h)).toEqual(['charge.refunded', 'refund.created']);
    const [refunded] = h.receiver.ofType('charge.refunded');
    expect(refunded?.data.object).toMatchObject({ id: charge.id, amount_refunded: 1000, refunded: true });
    expect(refunded?.data.previous_attributes).toEqual({ amount_refunded: 0, refunded: false });
    expect(refunded?.data.object).not.toHaveProperty('refunds');
    expect(h.receiver.ofType('refund.created')[0]?.data.object).toMatchObject({
      id: refund.id,
      status: 'succeeded',
    });

    await expect(h.stripe.refunds.create({ charge: charge.id })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      code: 'charge_already_refunded',
      message: `Charge ${charge.id} has already been refunded.`,
    });
    const receipt = await openPage(charge.receipt_url ?? '');
    expect(textOf(receipt.html)).toContain('Refunded');
  });
});

describe('partial refunds', () => {
  it('two 30% refunds then the rest: cumulative amounts, and more than what is left is refused', async () => {
    const { intent, charge } = await freshPack();
    const first = await h.stripe.refunds.create({ charge: charge.id, amount: 300 });
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({
      amount_refunded: 300,
      refunded: false,
    });
    const second = await h.stripe.refunds.create({ payment_intent: intent.id, amount: 300 });
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({
      amount_refunded: 600,
      refunded: false,
    });

    await expect(h.stripe.refunds.create({ charge: charge.id, amount: 500 })).rejects.toMatchObject({
      statusCode: 400,
      code: 'amount_too_large',
      param: 'amount',
      message: 'Refund amount ($5.00) is greater than unrefunded amount on charge ($4.00)',
    });
    const rest = await h.stripe.refunds.create({ charge: charge.id });
    expect(rest.amount).toBe(400);
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({
      amount_refunded: 1000,
      refunded: true,
    });

    await h.emulator.webhooks.drain();
    expect(paymentEventTypes(h)).toEqual([
      'charge.refunded',
      'refund.created',
      'charge.refunded',
      'refund.created',
      'charge.refunded',
      'refund.created',
    ]);
    expect(h.receiver.ofType('charge.refunded').map((event) => event.data.object.amount_refunded)).toEqual([
      300, 600, 1000,
    ]);
    expect(h.receiver.ofType('charge.refunded').map((event) => event.data.object.refunded)).toEqual([
      false,
      false,
      true,
    ]);

    const listed = await h.stripe.refunds.list({ charge: charge.id });
    expect(listed.data.map((refund) => refund.id)).toEqual([rest.id, second.id, first.id]);
    const byIntent = await h.stripe.refunds.list({ payment_intent: intent.id });
    expect(byIntent.data).toHaveLength(3);
    expect((await h.stripe.refunds.retrieve(second.id)).amount).toBe(300);
    const expanded = await h.stripe.charges.retrieve(charge.id, { expand: ['refunds'] });
    expect(expanded.refunds?.data.map((refund) => refund.amount)).toEqual([400, 300, 300]);
  });

  it('refuses a first refund larger than the charge', async () => {
    const { charge } = await freshPack();
    await expect(h.stripe.refunds.create({ charge: charge.id, amount: 1001 })).rejects.toMatchObject({
      code: 'amount_too_large',
      message: 'Refund amount ($10.01) is greater than charge amount ($10.00)',
    });
    await expect(h.stripe.refunds.create({ charge: charge.id, amount: 0 })).rejects.toMatchObject({
      statusCode: 400,
      param: 'amount',
    });
  });
});

describe('idempotency', () => {
  it('replays a refund sent twice with the same key and refuses the key for another amount', async () => {
    const { charge } = await freshPack();
    const key = `refund-${charge.id}`;
    const first = await h.stripe.refunds.create({ charge: charge.id, amount: 300 }, { idempotencyKey: key });
    const again = await h.stripe.refunds.create({ charge: charge.id, amount: 300 }, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await h.stripe.charges.retrieve(charge.id)).amount_refunded).toBe(300);
    await expect(
      h.stripe.refunds.create({ charge: charge.id, amount: 400 }, { idempotencyKey: key }),
    ).rejects.toMatchObject({ type: 'StripeIdempotencyError' });
    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('refund.created')).toHaveLength(1);
  });
});

describe('refund updates', () => {
  it('reports the acquirer reference number a minute later with charge.refund.updated and refund.updated', async () => {
    const { charge } = await freshPack();
    const refund = await h.stripe.refunds.create({ charge: charge.id });
    await h.emulator.webhooks.drain();
    h.receiver.clear();
    await h.emulator.clock.advance(61);
    await h.emulator.webhooks.drain();
    // earlier tests' refunds (same emulator) get their references now too
    const ours = h.receiver.events.filter((event) => (event.data.object as { id?: string }).id === refund.id);
    expect(ours.map((event) => event.type)).toEqual(['charge.refund.updated', 'refund.updated']);
    const [updated] = ours;
    expect(updated?.data.object).toMatchObject({
      id: refund.id,
      status: 'succeeded',
      destination_details: {
        card: { reference_status: 'available', reference: expect.stringMatching(/^\d{23}$/) },
      },
    });
    expect(updated?.data.previous_attributes).toEqual({
      destination_details: { card: { reference: null, reference_status: 'pending' } },
    });
  });

  it('emits both update events when metadata changes', async () => {
    const { charge } = await freshPack();
    const refund = await h.stripe.refunds.create({ charge: charge.id, amount: 100 });
    await h.emulator.webhooks.drain();
    h.receiver.clear();
    const updated = await h.stripe.refunds.update(refund.id, { metadata: { note: 'duplicate run' } });
    expect(updated.metadata).toEqual({ note: 'duplicate run' });
    await h.emulator.webhooks.drain();
    expect(paymentEventTypes(h)).toEqual(['charge.refund.updated', 'refund.updated']);
    expect(h.receiver.ofType('refund.updated')[0]?.data.previous_attributes).toEqual({
      metadata: { note: null },
    });
  });
});

describe('refusals', () => {
  it('needs a charge or a PaymentIntent with a successful charge, and a known reason', async () => {
    await expect(h.stripe.refunds.create({})).rejects.toMatchObject({
      statusCode: 400,
      code: 'parameter_missing',
    });
    const customer = await h.stripe.customers.create({});
    const declined = await createPackSession(h, { customer: customer.id });
    await payOnPage(declined, '4000 0000 0000 0002');
    const intentId = String((await h.stripe.checkout.sessions.retrieve(declined.id)).payment_intent);
    await expect(h.stripe.refunds.create({ payment_intent: intentId })).rejects.toMatchObject({
      code: 'charge_not_refundable',
    });
    const { charge } = await freshPack();
    await expect(
      h.stripe.refunds.create({
        charge: charge.id,
        reason: 'changed_mind' as Stripe.RefundCreateParams.Reason,
      }),
    ).rejects.toMatchObject({ param: 'reason' });
    await expect(h.stripe.refunds.create({ charge: 'ch_missing' })).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
  });
});
