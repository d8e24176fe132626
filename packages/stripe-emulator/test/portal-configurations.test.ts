import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertText, buttonLabels, openPage, submitForm } from './support/browser';
import type { HtmlPage } from './support/browser';
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

/** What Tollgate asks for: its kind's prices only, price switches, cancel at period end, card, invoices. */
function offering(plans: ('BASIC' | 'PRO' | 'TEAM')[]): Stripe.BillingPortal.ConfigurationCreateParams {
  return {
    features: {
      invoice_history: { enabled: true },
      payment_method_update: { enabled: true },
      subscription_cancel: { enabled: true, mode: 'at_period_end', proration_behavior: 'none' },
      subscription_update: {
        enabled: true,
        default_allowed_updates: ['price'],
        proration_behavior: 'create_prorations',
        products: plans.map((plan) => ({
          product: h.emulator.products[plan],
          prices: [h.emulator.prices[plan]],
        })),
      },
    },
    metadata: { tollgate_portal: 'test' },
  };
}

async function openPortal(customer: string, configuration?: string): Promise<HtmlPage> {
  const session = await h.stripe.billingPortal.sessions.create({
    customer,
    return_url: `${APP}/settings`,
    ...(configuration ? { configuration } : {}),
  });
  return openPage(session.url);
}

describe('billing portal configurations', () => {
  it('creates one with Stripe’s shape, retrieves, lists and emits billing_portal.configuration.created', async () => {
    const created = await h.stripe.billingPortal.configurations.create(offering(['BASIC', 'PRO']));
    expect(created).toMatchObject({
      object: 'billing_portal.configuration',
      active: true,
      is_default: false,
      livemode: false,
      metadata: { tollgate_portal: 'test' },
      features: {
        invoice_history: { enabled: true },
        payment_method_update: { enabled: true },
        subscription_cancel: { enabled: true, mode: 'at_period_end', proration_behavior: 'none' },
        subscription_update: {
          enabled: true,
          default_allowed_updates: ['price'],
          proration_behavior: 'create_prorations',
          products: [
            { product: h.emulator.products.BASIC, prices: [h.emulator.prices.BASIC] },
            { product: h.emulator.products.PRO, prices: [h.emulator.prices.PRO] },
          ],
        },
      },
    });
    expect(created.id).toMatch(/^bpc_/);
    expect(await h.stripe.billingPortal.configurations.retrieve(created.id)).toEqual(created);
    const listed = await h.stripe.billingPortal.configurations.list({ active: true, limit: 100 });
    expect(listed.data.map((configuration) => configuration.id)).toContain(created.id);

    await h.stripe.billingPortal.configurations.update(created.id, { active: false });
    const active = await h.stripe.billingPortal.configurations.list({ active: true, limit: 100 });
    expect(active.data.map((configuration) => configuration.id)).not.toContain(created.id);

    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('billing_portal.configuration.created')[0]?.data.object.id).toBe(created.id);
  });

  it('refuses what Stripe refuses: no features, price updates without products, a price of another product', async () => {
    const refusal = async (params: unknown) => {
      try {
        await h.stripe.billingPortal.configurations.create(
          params as Stripe.BillingPortal.ConfigurationCreateParams,
        );
      } catch (error) {
        if (error instanceof Stripe.errors.StripeInvalidRequestError) return error.param;
        throw error;
      }
      throw new Error('created');
    };
    expect(await refusal({})).toBe('features');
    expect(
      await refusal({
        features: { subscription_update: { enabled: true, default_allowed_updates: ['price'] } },
      }),
    ).toBe('features[subscription_update][products]');
    expect(
      await refusal({
        features: {
          subscription_update: {
            enabled: true,
            default_allowed_updates: ['price'],
            products: [{ product: h.emulator.products.TEAM, prices: [h.emulator.prices.BASIC] }],
          },
        },
      }),
    ).toBe('features[subscription_update][products]');
    // Off, it needs neither (since 2024-09-30.acacia).
    const off = await h.stripe.billingPortal.configurations.create({
      features: { subscription_update: { enabled: false } },
    });
    expect(off.features.subscription_update).toMatchObject({ enabled: false, default_allowed_updates: [] });
  });

  it('a session names its configuration; an unknown or inactive one is refused', async () => {
    const { customer } = await subscribeViaCheckout(h);
    const configuration = await h.stripe.billingPortal.configurations.create(offering(['BASIC', 'PRO']));
    const session = await h.stripe.billingPortal.sessions.create({
      customer: customer.id,
      configuration: configuration.id,
    });
    expect(session.configuration).toBe(configuration.id);
    await expect(
      h.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: 'bpc_missing' }),
    ).rejects.toMatchObject({ code: 'resource_missing', param: 'configuration' });
    await h.stripe.billingPortal.configurations.update(configuration.id, { active: false });
    await expect(
      h.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: configuration.id }),
    ).rejects.toMatchObject({ param: 'configuration' });
  });

  it('the hosted portal offers only the configuration’s prices and refuses a forged switch', async () => {
    const { customer, subscriptionId } = await subscribeViaCheckout(h, {
      price: h.emulator.prices.TEAM,
      quantity: 3,
    });
    const teamOnly = await h.stripe.billingPortal.configurations.create(offering(['TEAM']));
    const page = await openPortal(customer.id, teamOnly.id);
    expect(buttonLabels(page)).toEqual(['Cancel at period end', 'Cancel now', 'Update card']);

    // A form posted by hand (or left over from another page) can't switch to a price not offered.
    const forged = await fetch(page.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'switch', price: h.emulator.prices.BASIC }).toString(),
      redirect: 'manual',
    });
    expect(forged.status).toBe(400);
    expect(alertText({ url: page.url, status: 400, html: await forged.text() })).toBe(
      'This plan is not available here.',
    );
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription.items.data[0]).toMatchObject({ price: { id: h.emulator.prices.TEAM }, quantity: 3 });
    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('customer.subscription.updated')).toEqual([]);
  });

  it('a configuration of BASIC and PRO switches between them, as the default one switches to any price', async () => {
    const { customer, subscriptionId } = await subscribeViaCheckout(h);
    const personal = await h.stripe.billingPortal.configurations.create(offering(['BASIC', 'PRO']));
    const page = await openPortal(customer.id, personal.id);
    expect(buttonLabels(page)).toContain('Switch to Pro');
    expect(buttonLabels(page)).not.toContain('Switch to Team');
    const switched = await submitForm(page, 'Switch to Pro');
    expect(switched.status).toBe(303);
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).items.data[0]?.price.id).toBe(
      h.emulator.prices.PRO,
    );
    // No configuration: the default one, which offers every price (TEAM included).
    expect(buttonLabels(await openPortal(customer.id))).toEqual(
      expect.arrayContaining(['Switch to Basic', 'Switch to Team']),
    );
  });
});
