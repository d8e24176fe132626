import { CHECKOUT_PLAN_IDS, PLANS } from '@tollgate/domain';
import type { CheckoutPlanId } from '@tollgate/domain';
import { buildPrice, buildProduct } from './objects/price';
import type { CatalogPlan } from './objects/price';
import type { Store } from './store';

export interface SeededCatalog {
  prices: Record<CheckoutPlanId, string>;
  products: Record<CheckoutPlanId, string>;
}

/**
 * Seeds one product and one monthly price per self-serve plan of the domain catalog. Their ids are
 * deterministic (price_TollgateBasicMonthly, …) so a server's configuration survives emulator restarts.
 */
export function seedCatalog(store: Store, created: number): SeededCatalog {
  const prices = {} as Record<CheckoutPlanId, string>;
  const products = {} as Record<CheckoutPlanId, string>;
  for (const planId of CHECKOUT_PLAN_IDS) {
    const definition = PLANS[planId];
    if (definition.priceCents === null || definition.interval === null) continue;
    const plan: CatalogPlan = {
      key: planId,
      name: definition.name,
      description: definition.tagline,
      features: definition.features,
      unitAmount: definition.priceCents,
      currency: definition.currency,
      interval: definition.interval,
    };
    const pascal = `${planId.charAt(0)}${planId.slice(1).toLowerCase()}`;
    const productId = `prod_Tollgate${pascal}`;
    const priceId = `price_Tollgate${pascal}Monthly`;
    store.products.set(productId, buildProduct(productId, priceId, plan, created));
    store.prices.set(priceId, buildPrice(priceId, productId, plan, created));
    prices[planId] = priceId;
    products[planId] = productId;
  }
  return { prices, products };
}

/** The plan key (BASIC, PRO) a price was seeded for, from its metadata. */
export function planKeyOfPrice(store: Store, priceId: string): string | null {
  return store.prices.get(priceId)?.metadata.planId ?? null;
}
