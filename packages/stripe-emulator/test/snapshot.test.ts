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
});
