import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { startStripeEmulator } from '../src';
import { TOLLGATE_CATALOG } from '../src/tollgate-catalog';

const dir = mkdtempSync(join(tmpdir(), 'stripe-emulator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JSON snapshot', () => {
  it('restores customers, subscriptions and the clock after a restart', async () => {
    const snapshotFile = join(dir, 'state.json');
    const first = await startStripeEmulator({
      catalog: TOLLGATE_CATALOG,
      snapshotFile,
      webhookEndpoints: [{ url: 'http://127.0.0.1:1/old-hook', secret: 'whsec_old' }],
    });
    const client = (port: number): Stripe =>
      new Stripe('sk_test_x', { host: '127.0.0.1', port, protocol: 'http' });
    const customer = await client(first.port).customers.create({ email: 'kept@example.com' });
    await first.clock.advance(10 * 86_400);
    const clockBefore = first.clock.now().getTime();
    await first.close();

    const second = await startStripeEmulator({ catalog: TOLLGATE_CATALOG, snapshotFile });
    try {
      expect((await client(second.port).customers.retrieve(customer.id)).id).toBe(customer.id);
      expect(second.clock.now().getTime()).toBeGreaterThanOrEqual(clockBefore - 1000);
      expect(second.prices.BASIC).toBe(first.prices.BASIC);
      // Endpoints are configuration, not state: the old one is not restored.
      const endpoints = (await client(second.port).webhookEndpoints.list()).data;
      expect(endpoints.map((endpoint) => endpoint.url)).not.toContain('http://127.0.0.1:1/old-hook');
    } finally {
      await second.close();
    }
  });

  it('restores one-time payments: PaymentIntents, charges and refunds keep their state', async () => {
    const snapshotFile = join(dir, 'payments.json');
    const first = await startStripeEmulator({ catalog: TOLLGATE_CATALOG, snapshotFile });
    const stripe = (port: number): Stripe =>
      new Stripe('sk_test_x', { host: '127.0.0.1', port, protocol: 'http' });
    const session = await stripe(first.port).checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'usd', unit_amount: 1000, product_data: { name: '100 runs' } } },
      ],
      success_url: 'http://app.test/ok',
    });
    const paid = first.checkout.pay(session.id);
    const intentId = paid.paymentIntent?.id ?? '';
    const chargeId = String(paid.paymentIntent?.latest_charge);
    const refund = await stripe(first.port).refunds.create({ charge: chargeId, amount: 300 });
    await first.close();

    const second = await startStripeEmulator({ catalog: TOLLGATE_CATALOG, snapshotFile });
    try {
      const client = stripe(second.port);
      expect(await client.checkout.sessions.retrieve(session.id)).toMatchObject({ payment_status: 'paid' });
      expect(await client.paymentIntents.retrieve(intentId)).toMatchObject({ status: 'succeeded' });
      expect(await client.charges.retrieve(chargeId)).toMatchObject({
        amount_refunded: 300,
        refunded: false,
      });
      expect((await client.refunds.retrieve(refund.id)).amount).toBe(300);
      // the restored charge can still be refunded, up to what is left
      expect((await client.refunds.create({ charge: chargeId })).amount).toBe(700);
    } finally {
      await second.close();
    }
  });
});
