import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorControl } from '../src';
import { alertText, openPage, submitForm } from './support/browser';
import { DAY, startHarness } from './support/harness';
import type { Harness } from './support/harness';
import {
  drainedEventTypesOf,
  enterpriseCustomer,
  enterprisePrice,
  invoiceIdOf,
  settled,
} from './support/enterprise';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await settled(h);
});

async function invoicedSubscription(interval: 'month' | 'year' = 'month') {
  const customer = await enterpriseCustomer(h, '4242 4242 4242 4242');
  const price = await enterprisePrice(h, { unitAmount: 1_200_000, interval });
  await settled(h);
  const subscription = await h.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    collection_method: 'send_invoice',
    days_until_due: 30,
  });
  return { customer, price, subscription, invoiceId: invoiceIdOf(subscription) };
}

describe('POST /v1/subscriptions, send_invoice', () => {
  it('is active at once; the first invoice is open, due in days_until_due days, sent and not charged', async () => {
    const { subscription, invoiceId } = await invoicedSubscription();

    expect(subscription).toMatchObject({
      status: 'active',
      collection_method: 'send_invoice',
      days_until_due: 30,
    });
    const invoice = await h.stripe.invoices.retrieve(invoiceId);
    expect(invoice).toMatchObject({
      status: 'open',
      collection_method: 'send_invoice',
      billing_reason: 'subscription_create',
      amount_due: 1_200_000,
      amount_paid: 0,
      attempted: false,
      next_payment_attempt: null,
      due_date: (invoice.status_transitions.finalized_at ?? 0) + 30 * DAY,
      hosted_invoice_url: `${h.emulator.url}/invoices/${invoiceId}`,
      invoice_pdf: `${h.emulator.url}/invoices/${invoiceId}/pdf`,
    });
    expect(await drainedEventTypesOf(h, [subscription.id, invoiceId])).toEqual([
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'invoice.sent',
    ]);
  });

  it('is paid on the hosted invoice page; a declined card shows the error and changes nothing', async () => {
    const { invoiceId } = await invoicedSubscription();
    const url = `${h.emulator.url}/invoices/${invoiceId}`;
    await settled(h);

    const declined = await submitForm(await openPage(url), 'Pay', { 'Card number': '4000 0000 0000 0002' });
    expect(declined.status).toBe(402);
    expect(declined.page && alertText(declined.page)).toBe('Your card was declined.');
    expect((await h.stripe.invoices.retrieve(invoiceId)).status).toBe('open');

    const paid = await submitForm(await openPage(url), 'Pay', { 'Card number': '4242 4242 4242 4242' });
    expect(paid).toMatchObject({ status: 303, location: url });
    expect((await h.stripe.invoices.retrieve(invoiceId)).status).toBe('paid');
    expect((await openPage(url)).html).toContain('data-testid="invoice-status">Paid<');
    expect(await drainedEventTypesOf(h, [invoiceId])).toEqual([
      'invoice.payment_failed',
      'invoice.paid',
      'invoice.payment_succeeded',
    ]);
  });

  it('is paid through the control API (payInvoice) and through invoices.pay', async () => {
    const first = await invoicedSubscription();
    const control = emulatorControl(h.emulator.url);
    const result = await control.payInvoice(first.invoiceId);
    expect(result).toMatchObject({
      isPaid: true,
      error: null,
      invoice: { id: first.invoiceId, status: 'paid' },
    });
    const declined = await control.payInvoice((await invoicedSubscription()).invoiceId, {
      card: '4000000000009995',
    });
    expect(declined).toMatchObject({ isPaid: false, error: 'Your card has insufficient funds.' });

    const second = await invoicedSubscription();
    const outOfBand = await h.stripe.invoices.pay(second.invoiceId, { paid_out_of_band: true });
    expect(outOfBand).toMatchObject({ status: 'paid', amount_paid: 1_200_000 });
  });

  it('goes past_due when the due date passes unpaid, and active again once paid', async () => {
    const { subscription, invoiceId } = await invoicedSubscription();
    await settled(h);
    await h.emulator.clock.advance(30 * DAY - 60);
    expect((await h.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');

    await h.emulator.clock.advance(120);
    expect((await h.stripe.subscriptions.retrieve(subscription.id)).status).toBe('past_due');

    expect(h.emulator.invoices.pay(invoiceId).isPaid).toBe(true);
    expect((await h.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
    await h.emulator.webhooks.drain();
    const transitions = h.receiver
      .ofType('customer.subscription.updated')
      .filter((event) => event.data.object.id === subscription.id)
      .map((event) => [event.data.previous_attributes?.status, event.data.object.status]);
    expect(transitions).toEqual([
      ['active', 'past_due'],
      ['past_due', 'active'],
    ]);
  });

  it('renews into an open invoice that is not charged, due days_until_due after the renewal', async () => {
    const { subscription, invoiceId } = await invoicedSubscription('year');
    h.emulator.invoices.pay(invoiceId);
    const periodEnd = subscription.items.data[0]?.current_period_end ?? 0;
    await settled(h);

    await h.emulator.clock.advance(periodEnd - Math.floor(h.emulator.clock.now().getTime() / 1000) + 60);

    const renewal = (await h.stripe.invoices.list({ subscription: subscription.id, limit: 1 })).data[0];
    expect(renewal).toMatchObject({
      billing_reason: 'subscription_cycle',
      collection_method: 'send_invoice',
      status: 'open',
      amount_due: 1_200_000,
      attempted: false,
      due_date: periodEnd + 30 * DAY,
    });
    expect((await h.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
    expect(await drainedEventTypesOf(h, [renewal?.id ?? ''])).toEqual([
      'invoice.created',
      'invoice.finalized',
      'invoice.sent',
    ]);
  });
});
