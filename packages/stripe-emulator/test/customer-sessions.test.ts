import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, submitForm } from './support/browser';
import { APP, startHarness } from './support/harness';
import type { Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

function newSession(customer: string, price: string) {
  return h.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer,
    line_items: [{ price, quantity: 1 }],
    success_url: `${APP}/ok`,
    cancel_url: `${APP}/billing`,
  });
}

async function pay(url: string | null) {
  return submitForm(await openPage(url ?? ''), 'Pay', { 'Card number': '4242424242424242' });
}

/** What Tollgate's "one live subscription per account" relies on. */
describe('one customer, several checkout sessions', () => {
  it("lists a customer's open sessions, and only those, and expires them", async () => {
    const customer = await h.stripe.customers.create({});
    const other = await h.stripe.customers.create({});
    const basic = await newSession(customer.id, h.emulator.prices.BASIC);
    const pro = await newSession(customer.id, h.emulator.prices.PRO);
    const paid = await newSession(customer.id, h.emulator.prices.BASIC);
    await newSession(other.id, h.emulator.prices.BASIC);
    expect((await pay(paid.url)).status).toBe(303);

    const open = await h.stripe.checkout.sessions.list({ customer: customer.id, status: 'open' });
    expect(open.data.map((session) => session.id).sort()).toEqual([basic.id, pro.id].sort());

    const basicPage = await openPage(basic.url ?? ''); // a second tab, still showing the form
    await h.stripe.checkout.sessions.expire(basic.id);
    await expect(h.stripe.checkout.sessions.expire(paid.id)).rejects.toMatchObject({
      statusCode: 400,
      code: 'checkout_session_not_open',
    });
    const late = await submitForm(basicPage, 'Pay', { 'Card number': '4242424242424242' });
    expect(late.status).toBe(402);
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(1);
    const stillOpen = await h.stripe.checkout.sessions.list({ customer: customer.id, status: 'open' });
    expect(stillOpen.data.map((session) => session.id)).toEqual([pro.id]);
  });

  it('lists invoices by subscription when one customer has two subscriptions', async () => {
    const customer = await h.stripe.customers.create({});
    const basic = await newSession(customer.id, h.emulator.prices.BASIC);
    const pro = await newSession(customer.id, h.emulator.prices.PRO);
    await pay(basic.url);
    await pay(pro.url);
    const subscriptions = await h.stripe.subscriptions.list({ customer: customer.id });
    expect(subscriptions.data).toHaveLength(2);
    for (const subscription of subscriptions.data) {
      const invoices = await h.stripe.invoices.list({ subscription: subscription.id, limit: 100 });
      const price = subscription.items.data[0]?.price;
      expect(invoices.data).toHaveLength(1);
      expect(invoices.data[0]).toMatchObject({
        customer: customer.id,
        status: 'paid',
        amount_paid: price?.unit_amount,
        parent: { subscription_details: { subscription: subscription.id } },
      });
    }
  });
});
