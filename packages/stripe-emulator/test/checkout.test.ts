import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertText, buttonLabels, openPage, submitForm, textOf } from './support/browser';
import { APP, startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';

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

async function newSession(customer: string, price = h.emulator.prices.BASIC) {
  return h.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer,
    client_reference_id: 'u_1',
    line_items: [{ price, quantity: 1 }],
    success_url: `${APP}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${APP}/billing`,
  });
}

describe('checkout with 4242', () => {
  it('creates an active subscription with a paid invoice and sends verified events', async () => {
    const { stripe, emulator, receiver } = h;
    const customer = await stripe.customers.create({ email: 'ann@example.com', metadata: { userId: 'u_1' } });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      client_reference_id: 'u_1',
      line_items: [{ price: emulator.prices.BASIC, quantity: 1 }],
      subscription_data: { metadata: { userId: 'u_1' } },
      metadata: { userId: 'u_1' },
      success_url: `${APP}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${APP}/billing`,
    });
    expect(session).toMatchObject({ status: 'open', payment_status: 'unpaid', mode: 'subscription' });
    expect(session.url).toBe(`${emulator.url}/checkout/${session.id}`);
    expect(session.id).toMatch(/^cs_test_/);

    const page = await openPage(session.url ?? '');
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toContain('Subscribe to Basic');
    expect(textOf(page.html)).toContain('$19.00 per month');
    expect(page.html).toContain('<label for="card-number">Card number</label>');
    expect(buttonLabels(page)).toEqual(['Pay', 'Cancel']);

    const result = await submitForm(page, 'Pay', { 'Card number': '4242 4242 4242 4242' });
    expect(result.status).toBe(303);
    expect(result.location).toBe(`${APP}/billing/success?session_id=${session.id}`);

    const completed = await stripe.checkout.sessions.retrieve(session.id, {
      expand: ['subscription', 'subscription.latest_invoice'],
    });
    expect(completed).toMatchObject({ status: 'complete', payment_status: 'paid', customer: customer.id });
    const subscription = completed.subscription;
    if (typeof subscription !== 'object' || subscription === null)
      throw new Error('subscription not expanded');
    expect(subscription.status).toBe('active');
    expect(subscription.metadata).toEqual({ userId: 'u_1' });
    const item = subscription.items.data[0];
    expect(item?.price.id).toBe(emulator.prices.BASIC);
    expect(item?.price.unit_amount).toBe(1900);
    const periodDays = ((item?.current_period_end ?? 0) - (item?.current_period_start ?? 0)) / 86_400;
    expect(periodDays).toBeGreaterThanOrEqual(28);
    expect(periodDays).toBeLessThanOrEqual(31);

    const invoice = subscription.latest_invoice;
    if (typeof invoice !== 'object' || invoice === null) throw new Error('latest_invoice not expanded');
    expect(invoice).toMatchObject({
      status: 'paid',
      amount_due: 1900,
      amount_paid: 1900,
      billing_reason: 'subscription_create',
      parent: { subscription_details: { subscription: subscription.id } },
    });
    expect(invoice.number).toMatch(/^[0-9A-F]{8}-0001$/);
    const hosted = await openPage(invoice.hosted_invoice_url ?? '');
    expect(textOf(hosted.html)).toContain('Paid');
    const pdf = await fetch(invoice.invoice_pdf ?? '');
    expect(pdf.headers.get('content-type')).toContain('application/pdf');
    expect((await pdf.text()).startsWith('%PDF-1.4')).toBe(true);

    await emulator.webhooks.drain();
    expect(receiver.rejectedSignatures).toBe(0);
    const types = receiver.events.map((event) => event.type);
    for (const type of [
      'invoice.created',
      'invoice.finalized',
      'customer.subscription.created',
      'invoice.paid',
      'invoice.payment_succeeded',
      'checkout.session.completed',
    ]) {
      expect(types).toContain(type);
    }
    expect(receiver.events.every((event) => event.api_version === '2026-10-28.endive')).toBe(true);
    const [completedEvent] = receiver.ofType('checkout.session.completed');
    expect(completedEvent?.data.object).toMatchObject({
      client_reference_id: 'u_1',
      subscription: subscription.id,
      metadata: { userId: 'u_1' },
    });
    const [created] = receiver.ofType('customer.subscription.created');
    expect(created?.data.object.items.data[0]?.current_period_end).toBe(item?.current_period_end);

    const invoices = await stripe.invoices.list({ customer: customer.id });
    expect(invoices.data.map((entry) => entry.id)).toEqual([invoice.id]);
    const subscriptions = await stripe.subscriptions.list({ customer: customer.id, status: 'active' });
    expect(subscriptions.data.map((entry) => entry.id)).toEqual([subscription.id]);
  });

  it('creates the customer when the session only has customer_email', async () => {
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'new@example.com',
      line_items: [{ price: h.emulator.prices.PRO }],
      success_url: `${APP}/ok`,
    });
    const result = await submitForm(await openPage(session.url ?? ''), 'Pay', {
      'Card number': '4242424242424242',
    });
    expect(result.location).toBe(`${APP}/ok`);
    const completed = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['customer'] });
    expect(completed.customer).toMatchObject({ object: 'customer', email: 'new@example.com' });
    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('customer.created').map((event) => event.data.object.email)).toEqual([
      'new@example.com',
    ]);
  });
});

describe('declined cards', () => {
  it.each([
    ['4000 0000 0000 0002', 'Your card was declined.'],
    ['4000 0000 0000 9995', 'Your card has insufficient funds.'],
    ['4242 4242 4242 4241', 'Your card number is incorrect.'],
  ])('%s shows "%s" on the page and creates nothing', async (card, message) => {
    const customer = await h.stripe.customers.create({ email: 'declined@example.com' });
    const session = await newSession(customer.id);
    const result = await submitForm(await openPage(session.url ?? ''), 'Pay', { 'Card number': card });
    expect(result.status).toBe(402);
    expect(result.page && alertText(result.page)).toBe(message);
    expect(await h.stripe.checkout.sessions.retrieve(session.id)).toMatchObject({
      status: 'open',
      subscription: null,
    });
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);

    const retry = await submitForm(await openPage(session.url ?? ''), 'Pay', {
      'Card number': '4242424242424242',
    });
    expect(retry.status).toBe(303);
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(1);
  });
});

describe('the hosted page itself', () => {
  it('declares its icon inline, so a browser asks for no /favicon.ico (a 404 in the console)', async () => {
    const customer = await h.stripe.customers.create({});
    const page = await openPage((await newSession(customer.id)).url ?? '');
    expect(page.html).toContain('<link rel="icon" href="data:,">');
  });
});

describe('cancel and expiry', () => {
  it('Cancel goes back to cancel_url and leaves the session open', async () => {
    const customer = await h.stripe.customers.create({});
    const session = await newSession(customer.id);
    const result = await submitForm(await openPage(session.url ?? ''), 'Cancel');
    expect(result).toMatchObject({ status: 303, location: `${APP}/billing` });
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
  });

  it('an expired session can no longer be paid', async () => {
    const customer = await h.stripe.customers.create({});
    const session = await newSession(customer.id);
    const page = await openPage(session.url ?? '');
    const expired = await h.stripe.checkout.sessions.expire(session.id);
    expect(expired.status).toBe('expired');
    const result = await submitForm(page, 'Pay', { 'Card number': '4242424242424242' });
    expect(result.status).toBe(402);
    expect(textOf((await openPage(session.url ?? '')).html)).toContain('expired');
    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('checkout.session.expired').map((event) => event.data.object.id)).toEqual([
      session.id,
    ]);
  });

  it('a session expires by itself after 24 hours of emulator time', async () => {
    const customer = await h.stripe.customers.create({});
    const session = await newSession(customer.id);
    await h.emulator.clock.advance(24 * 3600 + 1);
    const page = await openPage(session.url ?? '');
    expect(textOf(page.html)).toContain('expired');
  });
});

describe('trial checkout', () => {
  it('starts trialing with a $0 paid invoice', async () => {
    const { subscriptionId, session } = await subscribeViaCheckout(h, { trialDays: 14 });
    expect(session.payment_status).toBe('no_payment_required');
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId, {
      expand: ['latest_invoice'],
    });
    expect(subscription.status).toBe('trialing');
    expect((subscription.trial_end ?? 0) - (subscription.trial_start ?? 0)).toBe(14 * 86_400);
    expect(subscription.items.data[0]?.current_period_end).toBe(subscription.trial_end);
    expect(subscription.latest_invoice).toMatchObject({ status: 'paid', amount_due: 0 });
  });
});
