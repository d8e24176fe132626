import { startStripeEmulator, type StripeEmulator } from '@tollgate/stripe-emulator';
import { TOLLGATE_CATALOG } from '@tollgate/stripe-emulator/tollgate-catalog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../logger';
import { createPortalConfigurations } from './portal-configuration';
import { createStripeClient, type BillingSettings } from './stripe-settings';

// Against the offline emulator: the configuration each kind's portal sessions name, made once whatever
// the number of processes asking, found again after a restart, and remade when Stripe refuses it.

type Kinds = keyof typeof TOLLGATE_CATALOG;
let emulator: StripeEmulator<Kinds>;
let settings: BillingSettings;
const warnings: unknown[] = [];
const logger: Logger = {
  info: () => undefined,
  warn: (message, fields) => warnings.push([message, fields]),
  error: () => undefined,
};

beforeAll(async () => {
  emulator = await startStripeEmulator({ catalog: TOLLGATE_CATALOG, port: 0 });
  settings = {
    stripe: createStripeClient({ secretKey: 'sk_test_portal', apiBaseUrl: emulator.url }),
    priceIds: { BASIC: emulator.prices.BASIC, PRO: emulator.prices.PRO, TEAM: emulator.prices.TEAM },
    webhookSecret: 'whsec_unused',
    webhookToleranceSeconds: 300,
  };
});
afterAll(() => emulator?.close());

async function configurations() {
  return (await settings.stripe.billingPortal.configurations.list({ limit: 100 })).data;
}

describe('portal configurations', () => {
  it('replicas starting together make one per kind; a restart finds it again', async () => {
    const replicas = [
      createPortalConfigurations(settings, logger),
      createPortalConfigurations(settings, logger),
    ];
    const [team, sameTeam, personal] = await Promise.all([
      replicas[0]?.idFor('team'),
      replicas[1]?.idFor('team'),
      replicas[0]?.idFor('personal'),
    ]);
    expect(sameTeam).toBe(team);
    expect(personal).not.toBe(team);
    const restarted = createPortalConfigurations(settings, logger);
    expect(await restarted.idFor('team')).toBe(team);
    expect(await restarted.idFor('personal')).toBe(personal);
    expect((await configurations()).map((configuration) => configuration.id).sort()).toEqual(
      [team, personal].sort(),
    );
  });

  it('offers a kind its own plans only: price switches, no quantity', async () => {
    const portal = createPortalConfigurations(settings, logger);
    const byId = new Map((await configurations()).map((configuration) => [configuration.id, configuration]));
    const team = byId.get(await portal.idFor('team'));
    const personal = byId.get(await portal.idFor('personal'));
    expect(team?.features.subscription_update).toMatchObject({
      enabled: true,
      default_allowed_updates: ['price'],
      products: [{ product: emulator.products.TEAM, prices: [emulator.prices.TEAM] }],
    });
    expect(personal?.features.subscription_update.products).toEqual([
      expect.objectContaining({ product: emulator.products.BASIC, prices: [emulator.prices.BASIC] }),
      expect.objectContaining({ product: emulator.products.PRO, prices: [emulator.prices.PRO] }),
    ]);
    expect(team?.features.subscription_cancel).toMatchObject({ enabled: true, mode: 'at_period_end' });
  });

  it('upgrades are invoiced at once, a switch to a lower amount waits for the period end', async () => {
    // With create_prorations and immediate switches, BASIC → PRO → BASIC within an hour cost ≈ $30/720
    // and kept the PRO runs used: the upgrade's charge and the downgrade's credit cancelled out.
    const portal = createPortalConfigurations(settings, logger);
    for (const kind of ['personal', 'team'] as const) {
      const configuration = await settings.stripe.billingPortal.configurations.retrieve(
        await portal.idFor(kind),
      );
      expect(configuration.features.subscription_update).toMatchObject({
        proration_behavior: 'always_invoice',
        schedule_at_period_end: { conditions: [{ type: 'decreasing_item_amount' }] },
      });
    }
  });

  it('a configuration made under other settings (an older release’s) is not reused', async () => {
    const portal = createPortalConfigurations(settings, logger);
    const current = await settings.stripe.billingPortal.configurations.retrieve(
      await portal.idFor('personal'),
    );
    const older = await settings.stripe.billingPortal.configurations.create({
      features: {
        subscription_update: {
          enabled: true,
          default_allowed_updates: ['price'],
          products: (current.features.subscription_update.products ?? []).map(({ product, prices }) => ({
            product,
            prices,
          })),
          proration_behavior: 'create_prorations',
        },
      },
      metadata: { tollgate_portal: 'personal-0123456789abcdef0123456789abcdef' },
    });
    const fresh = createPortalConfigurations(settings, logger);
    const id = await fresh.idFor('personal');
    expect(id).toBe(current.id);
    expect(id).not.toBe(older.id);
  });

  it('a deactivated configuration is replaced, not replayed', async () => {
    const portal = createPortalConfigurations(settings, logger);
    const before = await portal.idFor('team');
    await settings.stripe.billingPortal.configurations.update(before, { active: false });
    const after = await portal.replace('team');
    expect(after).not.toBe(before);
    expect(await portal.idFor('team')).toBe(after);
    const fresh = await settings.stripe.billingPortal.configurations.retrieve(after);
    expect(fresh.active).toBe(true);
  });

  it('a price Stripe doesn’t have is left out (the portal still cancels and updates cards)', async () => {
    const retired = { ...settings, priceIds: { ...settings.priceIds, PRO: 'price_retired_pro' } };
    const id = await createPortalConfigurations(retired, logger).idFor('personal');
    const configuration = await settings.stripe.billingPortal.configurations.retrieve(id);
    expect(configuration.features.subscription_update.products).toEqual([
      expect.objectContaining({ prices: [emulator.prices.BASIC] }),
    ]);
    expect(warnings).toContainEqual([
      expect.stringContaining('leaves out'),
      { plan: 'PRO', priceId: 'price_retired_pro' },
    ]);
  });
});
