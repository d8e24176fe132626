import { CHECKOUT_PLAN_IDS, PLANS } from '@tollgate/domain';
import type { CheckoutPlanId } from '@tollgate/domain';
import type { CatalogSeed, CatalogSeedPlan } from './catalog';

/**
 * Tollgate's catalog as the emulator is seeded with it: one product and one monthly price per
 * self-serve plan of @tollgate/domain's PLANS. The emulator itself knows no catalog; this module is
 * what the standalone bin seeds by default and what Tollgate's server passes in. Ids are deterministic
 * (price_TollgateBasicMonthly, …) so a server's configuration survives emulator restarts.
 */
function tollgateCatalog(): CatalogSeed<CheckoutPlanId> {
  const catalog = {} as Record<CheckoutPlanId, CatalogSeedPlan>;
  for (const planId of CHECKOUT_PLAN_IDS) {
    const definition = PLANS[planId];
    if (definition.priceCents === null || definition.interval === null)
      throw new Error(`plan ${planId} is sold through Checkout but has no price`);
    const pascal = `${planId.charAt(0)}${planId.slice(1).toLowerCase()}`;
    catalog[planId] = {
      productId: `prod_Tollgate${pascal}`,
      priceId: `price_Tollgate${pascal}Monthly`,
      name: definition.name,
      description: definition.tagline,
      features: definition.features,
      unitAmount: definition.priceCents,
      currency: definition.currency,
      interval: definition.interval,
      metadata: { planId },
    };
  }
  return catalog;
}

export const TOLLGATE_CATALOG = tollgateCatalog();
