import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buttonLabels, openPage, submitForm, textOf } from './support/browser';
import type { HtmlPage } from './support/browser';
import { APP, DAY, periodOf, startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';

// The hosted portal honours its configuration's subscription_update timing, like Stripe's: a switch to
// a lower amount under schedule_at_period_end's decreasing_item_amount waits for the period end (a
// subscription schedule), and any other switch happens now, prorated by proration_behavior
// (always_invoice: the difference is invoiced and charged at once).

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

function timedOffering(): Stripe.BillingPortal.ConfigurationCreateParams {
  return {
    features: {
      subscription_cancel: { enabled: true, mode: 'at_period_end', proration_behavior: 'none' },
      subscription_update: {
        enabled: true,
        default_allowed_updates: ['price'],
        proration_behavior: 'always_invoice',
        schedule_at_period_end: { conditions: [{ type: 'decreasing_item_amount' }] },
        products: (['BASIC', 'PRO'] as const).map((plan) => ({
          product: h.emulator.products[plan],
          prices: [h.emulator.prices[plan]],
        })),
      },
    },
  };
}

async function openPortal(customer: string, configuration: string): Promise<HtmlPage> {
  const session = await h.stripe.billingPortal.sessions.create({
    customer,
    configuration,
    return_url: `${APP}/settings`,
  });
  return openPage(session.url);
}

async function switchInPortal(customer: string, configuration: string, button: string) {
  const result = await submitForm(await openPortal(customer, configuration), button);
  expect(result.status).toBe(303);
  await h.emulator.webhooks.drain();
  return result;
}

async function invoicesOf(subscription: string) {
  return (await h.stripe.invoices.list({ subscription, limit: 100 })).data;
}

describe('portal configuration: schedule_at_period_end and proration_behavior', () => {
  it('are echoed on create, changed by an update; a configuration without them has no conditions', async () => {
    const timed = await h.stripe.billingPortal.configurations.create(timedOffering());
    expect(timed.features.subscription_update).toMatchObject({
      proration_behavior: 'always_invoice',
      schedule_at_period_end: { conditions: [{ type: 'decreasing_item_amount' }] },
    });
    const updated = await h.stripe.billingPortal.configurations.update(timed.id, {
      features: {
        subscription_update: {
          proration_behavior: 'create_prorations',
          schedule_at_period_end: { conditions: [{ type: 'shortening_interval' }] },
        },
      },
    });
    expect(updated.features.subscription_update).toMatchObject({
      proration_behavior: 'create_prorations',
      schedule_at_period_end: { conditions: [{ type: 'shortening_interval' }] },
    });
    expect(await h.stripe.billingPortal.configurations.retrieve(timed.id)).toEqual(updated);
    const plain = await h.stripe.billingPortal.configurations.create({
      features: { invoice_history: { enabled: true } },
    });
    expect(plain.features.subscription_update.schedule_at_period_end).toEqual({ conditions: [] });
    await expect(
      h.stripe.billingPortal.configurations.create({
        features: {
          subscription_update: {
            enabled: false,
            schedule_at_period_end: { conditions: [{ type: 'sometimes' }] },
          },
        },
      }),
    ).rejects.toMatchObject({
      param: 'features[subscription_update][schedule_at_period_end][conditions][0][type]',
    });
    await expect(
      h.stripe.billingPortal.configurations.update(timed.id, {
        features: { invoice_history: { enabled: false } },
      }),
    ).rejects.toMatchObject({ param: 'features' });
  });
});

describe('hosted portal: when a plan switch takes effect', () => {
  it('a downgrade is scheduled: the price stays until the period end, then the renewal switches and bills it', async () => {
    const configuration = await h.stripe.billingPortal.configurations.create(timedOffering());
    const { customer, subscriptionId } = await subscribeViaCheckout(h, { price: h.emulator.prices.PRO });
    const before = await h.stripe.subscriptions.retrieve(subscriptionId);
    h.receiver.clear();

    const result = await switchInPortal(customer.id, configuration.id, 'Switch to Basic');
    expect(result.location).toMatch(/notice=switch_scheduled$/);
    const scheduled = await h.stripe.subscriptions.retrieve(subscriptionId);
    expect(scheduled.items.data[0]?.price.id).toBe(h.emulator.prices.PRO);
    expect(scheduled.schedule).toMatch(/^sub_sched_/);
    const schedule = await h.stripe.subscriptionSchedules.retrieve(String(scheduled.schedule));
    const period = periodOf(before);
    expect(schedule).toMatchObject({
      object: 'subscription_schedule',
      status: 'active',
      subscription: subscriptionId,
      customer: customer.id,
      end_behavior: 'release',
      current_phase: { start_date: period.start, end_date: period.end },
      phases: [
        {
          start_date: period.start,
          end_date: period.end,
          items: [{ price: h.emulator.prices.PRO, quantity: 1 }],
        },
        { start_date: period.end, items: [{ price: h.emulator.prices.BASIC, quantity: 1 }] },
      ],
    });
    expect(h.receiver.ofType('subscription_schedule.created')).toHaveLength(1);
    const [update] = h.receiver.ofType('customer.subscription.updated');
    expect(update?.data.previous_attributes).toEqual({ schedule: null });
    expect(await invoicesOf(subscriptionId)).toHaveLength(1); // nothing billed or credited now
    const page = await openPortal(customer.id, configuration.id);
    expect(textOf(page.html)).toMatch(/Switches to Basic on/);
    expect(buttonLabels(page)).toContain('Keep Pro');
    expect(buttonLabels(page)).not.toContain('Switch to Basic');

    h.receiver.clear();
    await h.emulator.clock.advance(period.end - Math.floor(h.emulator.clock.now().getTime() / 1000) + 60);
    await h.emulator.webhooks.drain();
    const renewed = await h.stripe.subscriptions.retrieve(subscriptionId);
    expect(renewed.items.data[0]?.price.id).toBe(h.emulator.prices.BASIC);
    expect(renewed.schedule).toBe(schedule.id);
    const [renewal] = await invoicesOf(subscriptionId);
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', amount_paid: 1900 });
    const renewalUpdate = h.receiver.ofType('customer.subscription.updated')[0];
    expect(renewalUpdate?.data.object.items.data[0]?.price.id).toBe(h.emulator.prices.BASIC);

    // The schedule's last phase ends with the next period: then it releases the subscription.
    await h.emulator.clock.advance(32 * DAY);
    await h.emulator.webhooks.drain();
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).schedule).toBeNull();
    expect(await h.stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({
      status: 'released',
      released_subscription: subscriptionId,
      subscription: null,
    });
    expect(h.receiver.ofType('subscription_schedule.released')).toHaveLength(1);
  });

  it('an upgrade happens now and its prorated difference is invoiced and paid at once (always_invoice)', async () => {
    const configuration = await h.stripe.billingPortal.configurations.create(timedOffering());
    const { customer, subscriptionId } = await subscribeViaCheckout(h);
    h.receiver.clear();

    const result = await switchInPortal(customer.id, configuration.id, 'Switch to Pro');
    expect(result.location).toMatch(/notice=switch$/);
    const upgraded = await h.stripe.subscriptions.retrieve(subscriptionId);
    expect(upgraded.items.data[0]?.price.id).toBe(h.emulator.prices.PRO);
    expect(upgraded.schedule).toBeNull();
    const [invoice] = await invoicesOf(subscriptionId);
    expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'paid' });
    // Minutes into the period: the PRO − BASIC difference for (nearly) all of it.
    expect(invoice?.amount_paid).toBeGreaterThan(2990);
    expect(invoice?.amount_paid).toBeLessThanOrEqual(3000);
    const lines = invoice?.lines.data.map((line) => [line.amount < 0, line.pricing?.price_details?.price]);
    expect(lines).toEqual([
      [true, h.emulator.prices.BASIC],
      [false, h.emulator.prices.PRO],
    ]);
    expect(h.receiver.events.map((event) => event.type)).toEqual(
      expect.arrayContaining([
        'invoice.created',
        'invoice.finalized',
        'invoice.paid',
        'invoice.payment_succeeded',
      ]),
    );
    expect(upgraded.latest_invoice).toBe(invoice?.id);
  });

  it('an upgrade the card declines leaves its invoice open and the subscription past_due', async () => {
    const configuration = await h.stripe.billingPortal.configurations.create(timedOffering());
    const { customer, subscriptionId } = await subscribeViaCheckout(h, { card: '4000 0000 0000 0341' });
    h.receiver.clear();
    await switchInPortal(customer.id, configuration.id, 'Switch to Pro');
    const [invoice] = await invoicesOf(subscriptionId);
    expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'open', amount_paid: 0 });
    expect(h.receiver.ofType('invoice.payment_failed')).toHaveLength(1);
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('past_due');
  });

  it('"Keep" releases a scheduled switch; another switch replaces it; canceling cancels it', async () => {
    const configuration = await h.stripe.billingPortal.configurations.create(timedOffering());
    const { customer, subscriptionId } = await subscribeViaCheckout(h, { price: h.emulator.prices.PRO });
    await switchInPortal(customer.id, configuration.id, 'Switch to Basic');
    const first = String((await h.stripe.subscriptions.retrieve(subscriptionId)).schedule);
    const kept = await switchInPortal(customer.id, configuration.id, 'Keep Pro');
    expect(kept.location).toMatch(/notice=switch_kept$/);
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).schedule).toBeNull();
    expect((await h.stripe.subscriptionSchedules.retrieve(first)).status).toBe('released');

    await switchInPortal(customer.id, configuration.id, 'Switch to Basic');
    const second = String((await h.stripe.subscriptions.retrieve(subscriptionId)).schedule);
    expect(second).not.toBe(first);
    await h.stripe.subscriptions.cancel(subscriptionId);
    expect(await h.stripe.subscriptionSchedules.retrieve(second)).toMatchObject({ status: 'canceled' });
  });

  it('a scheduled subscription’s cancellation can’t be set through the API; the portal’s Cancel releases the switch', async () => {
    const configuration = await h.stripe.billingPortal.configurations.create(timedOffering());
    const { customer, subscriptionId } = await subscribeViaCheckout(h, { price: h.emulator.prices.PRO });
    await switchInPortal(customer.id, configuration.id, 'Switch to Basic');
    const schedule = String((await h.stripe.subscriptions.retrieve(subscriptionId)).schedule);
    await expect(
      h.stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true }),
    ).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      message: expect.stringContaining(`managed by the subscription schedule \`${schedule}\``),
    });
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).cancel_at_period_end).toBe(false);

    await switchInPortal(customer.id, configuration.id, 'Cancel at period end');
    expect(await h.stripe.subscriptions.retrieve(subscriptionId)).toMatchObject({
      schedule: null,
      cancel_at_period_end: true,
      items: { data: [{ price: { id: h.emulator.prices.PRO } }] },
    });
    expect((await h.stripe.subscriptionSchedules.retrieve(schedule)).status).toBe('released');
  });

  it('without a condition (the default configuration) a downgrade happens at once, unprorated', async () => {
    const { customer, subscriptionId } = await subscribeViaCheckout(h, { price: h.emulator.prices.PRO });
    const session = await h.stripe.billingPortal.sessions.create({ customer: customer.id });
    expect((await submitForm(await openPage(session.url), 'Switch to Basic')).status).toBe(303);
    const switched = await h.stripe.subscriptions.retrieve(subscriptionId);
    expect(switched).toMatchObject({
      schedule: null,
      items: { data: [{ price: { id: h.emulator.prices.BASIC } }] },
    });
    expect(await invoicesOf(subscriptionId)).toHaveLength(1);
  });
});
