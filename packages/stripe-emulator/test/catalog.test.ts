import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { startStripeEmulator } from '../src';

describe('catalog seed', () => {
  it('holds no products or prices of its own', async () => {
    const emulator = await startStripeEmulator();
    try {
      const stripe = new Stripe('sk_test_x', { host: '127.0.0.1', port: emulator.port, protocol: 'http' });
      expect((await stripe.prices.list()).data).toEqual([]);
      expect((await stripe.products.list()).data).toEqual([]);
    } finally {
      await emulator.close();
    }
  });

  it('seeds exactly the catalog it is given, with its ids', async () => {
    const emulator = await startStripeEmulator({
      catalog: {
        GOLD: {
          productId: 'prod_gold',
          priceId: 'price_gold_yearly',
          name: 'Gold',
          description: 'Shiny',
          features: ['Everything'],
          unitAmount: 9900,
          currency: 'eur',
          interval: 'year',
          metadata: { tier: 'gold' },
        },
      },
    });
    try {
      expect(emulator.prices).toEqual({ GOLD: 'price_gold_yearly' });
      expect(emulator.products).toEqual({ GOLD: 'prod_gold' });
      const stripe = new Stripe('sk_test_x', { host: '127.0.0.1', port: emulator.port, protocol: 'http' });
      const prices = (await stripe.prices.list()).data;
      expect(prices).toHaveLength(1);
      expect(prices[0]).toMatchObject({
        id: 'price_gold_yearly',
        product: 'prod_gold',
        unit_amount: 9900,
        currency: 'eur',
        lookup_key: 'gold_yearly',
        metadata: { tier: 'gold' },
        recurring: { interval: 'year' },
      });
      expect(await stripe.products.retrieve('prod_gold')).toMatchObject({
        name: 'Gold',
        default_price: 'price_gold_yearly',
      });
    } finally {
      await emulator.close();
    }
  });
});
