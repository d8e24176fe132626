import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertText, buttonLabels, linkHref, openPage, submitForm, textOf } from './support/browser';
import type { HtmlPage } from './support/browser';
import { APP, periodOf, startHarness, subscribeViaCheckout } from './support/harness';
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

async function openPortal(customer: string): Promise<HtmlPage> {
  const session = await h.stripe.billingPortal.sessions.create({ customer, return_url: `${APP}/settings` });
  expect(session.url).toBe(`${h.emulator.url}/portal/${session.id}`);
  expect(session.id).toMatch(/^bps_/);
  return openPage(session.url);
}

/** Submits a portal button and follows the redirect back to the portal. */
async function press(page: HtmlPage, button: string, fields: Record<string, string> = {}): Promise<HtmlPage> {
  const result = await submitForm(page, button, fields);
  expect(result.status).toBe(303);
  return openPage(result.location ?? '');
}

describe('billing portal', () => {
  it('shows the plan, the period end and the actions, and links back', async () => {
    const { customer, subscriptionId } = await subscribeViaCheckout(h);
    const page = await openPortal(customer.id);
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
    const text = textOf(page.html);
    expect(text).toContain('Basic');
    expect(text).toContain('Status: Active');
    const periodEnd = new Date(periodOf(subscription).end * 1000).toISOString();
    expect(page.html).toContain(`datetime="${periodEnd}"`);
    // The portal offers every other seeded price, TEAM included (seeded since the domain sells it).
    expect(buttonLabels(page)).toEqual([
      'Cancel at period end',
      'Cancel now',
      'Switch to Pro',
      'Switch to Team',
      'Update card',
    ]);
    expect(linkHref(page, 'Return')).toBe(`${APP}/settings`);
    expect(text).toContain('visa •••• 4242');
  });

  it('switches Basic -> Pro with a subscription.updated event carrying the old price', async () => {
    const { customer, subscriptionId } = await subscribeViaCheckout(h);
    const after = await press(await openPortal(customer.id), 'Switch to Pro');
    expect(textOf(after.html)).toContain('Your plan has been changed.');
    expect(buttonLabels(after)).toContain('Switch to Basic');
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription.items.data[0]?.price.id).toBe(h.emulator.prices.PRO);
    await h.emulator.webhooks.drain();
    const [updated] = h.receiver.ofType('customer.subscription.updated');
    expect(updated?.data.object.items.data[0]?.price.id).toBe(h.emulator.prices.PRO);
    expect(updated?.data.previous_attributes?.items?.data[0]?.price.id).toBe(h.emulator.prices.BASIC);
  });

  it('cancels at period end, resumes, then cancels now', async () => {
    const { customer, subscriptionId } = await subscribeViaCheckout(h);
    let page = await press(await openPortal(customer.id), 'Cancel at period end');
    let subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription).toMatchObject({ status: 'active', cancel_at_period_end: true });
    expect(subscription.cancel_at).toBe(periodOf(subscription).end);
    expect(textOf(page.html)).toContain('Cancels on');
    expect(buttonLabels(page)).toContain('Resume');

    page = await press(page, 'Resume');
    subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription).toMatchObject({ cancel_at_period_end: false, cancel_at: null });

    page = await press(page, 'Cancel now');
    subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription.status).toBe('canceled');
    expect(buttonLabels(page)).toEqual(['Update card']);

    await h.emulator.webhooks.drain();
    const updates = h.receiver.ofType('customer.subscription.updated');
    expect(updates.map((event) => event.data.previous_attributes?.cancel_at_period_end)).toEqual([
      false,
      true,
    ]);
    const deleted = h.receiver.ofType('customer.subscription.deleted');
    expect(deleted.map((event) => event.data.object.status)).toEqual(['canceled']);
    expect(deleted[0]?.data.object.cancellation_details?.reason).toBe('cancellation_requested');
  });

  it('updates the card, rejecting a declined one', async () => {
    const { customer } = await subscribeViaCheckout(h);
    const portal = await openPortal(customer.id);
    const declined = await submitForm(portal, 'Update card', { 'Card number': '4000000000000002' });
    expect(declined.status).toBe(402);
    expect(declined.page && alertText(declined.page)).toBe('Your card was declined.');
    const page = await press(portal, 'Update card', { 'Card number': '5555 5555 5555 4444' });
    expect(textOf(page.html)).toContain('mastercard •••• 4444');
  });
});
