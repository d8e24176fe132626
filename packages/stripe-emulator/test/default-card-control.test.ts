import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorControl } from '../src';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';
import { rejectionOf, topUpParams } from './support/off-session';
import { quietCustomer } from './support/payments';

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

async function defaultCardOf(customerId: string): Promise<string | null> {
  const customer = (await h.stripe.customers.retrieve(customerId)) as Stripe.Customer;
  const card = customer.invoice_settings.default_payment_method;
  return typeof card === 'string' || card === null ? card : card.id;
}

describe('control: setDefaultCard(customerId, cardNumber)', () => {
  it('in-process: attaches a new card, makes it the invoice default, emits customer.updated', async () => {
    const customer = await quietCustomer(h, 'default-card@example.com');

    const cardId = h.emulator.customers.setDefaultCard(customer.id, '4000 0000 0000 0002');

    expect(cardId).toMatch(/^pm_/);
    expect(await defaultCardOf(customer.id)).toBe(cardId);
    expect(await h.stripe.paymentMethods.retrieve(cardId)).toMatchObject({
      id: cardId,
      type: 'card',
      customer: customer.id,
      card: { last4: '0002', brand: 'visa' },
    });
    await h.emulator.webhooks.drain();
    const [updated] = h.receiver.ofType('customer.updated');
    expect(updated?.data.object.invoice_settings.default_payment_method).toBe(cardId);
    expect(updated?.data.previous_attributes).toEqual({ invoice_settings: { default_payment_method: null } });

    // a second card replaces the default; the first stays attached
    const second = h.emulator.customers.setDefaultCard(customer.id, '4242424242424242');
    expect(second).not.toBe(cardId);
    expect(await defaultCardOf(customer.id)).toBe(second);
    expect((await h.stripe.paymentMethods.retrieve(cardId)).customer).toBe(customer.id);
  });

  it('over HTTP (emulatorControl): the card on file is what an off-session charge declines', async () => {
    const control = emulatorControl(h.emulator.url);
    const customer = await quietCustomer(h, 'http-default-card@example.com');

    const cardId = await control.setDefaultCard(customer.id, '4000 0000 0000 9995');

    expect(await defaultCardOf(customer.id)).toBe(cardId);
    const error = await rejectionOf(h.stripe.paymentIntents.create(topUpParams(customer.id, cardId)));
    expect(error).toMatchObject({ statusCode: 402, decline_code: 'insufficient_funds' });
  });

  it('refuses an unknown customer (404) and a number failing the Luhn check (400)', async () => {
    const control = emulatorControl(h.emulator.url);
    await expect(control.setDefaultCard('cus_nope', '4242424242424242')).rejects.toThrow(/HTTP 404/);
    expect(() => h.emulator.customers.setDefaultCard('cus_nope', '4242424242424242')).toThrow(
      "No such customer: 'cus_nope'",
    );
    const customer = await quietCustomer(h, 'bad-number@example.com');
    await expect(control.setDefaultCard(customer.id, '4242424242424241')).rejects.toThrow(
      /HTTP 400.*incorrect_number/,
    );
    expect(await defaultCardOf(customer.id)).toBeNull();
  });
});
