import { buildPrice, buildProduct } from './objects/price';
import type { CatalogPlan } from './objects/price';
import type { Store } from './store';

/** One product with one recurring price, as the caller wants it seeded (ids included). */
export interface CatalogSeedPlan extends Omit<CatalogPlan, 'key'> {
  productId: string;
  priceId: string;
}

/** Products/prices to seed, by a key of the caller's choosing (the key also names the price's lookup_key). */
export type CatalogSeed<K extends string = string> = Readonly<Record<K, CatalogSeedPlan>>;

export interface SeededCatalog<K extends string = string> {
  prices: Record<K, string>;
  products: Record<K, string>;
}

/**
 * Stores the caller's products and prices: the emulator knows no catalog of its own. Ids come from the
 * seed, so a caller that seeds fixed ids keeps its configuration valid across emulator restarts.
 */
export function seedCatalog<K extends string>(
  store: Store,
  catalog: CatalogSeed<K>,
  created: number,
): SeededCatalog<K> {
  const prices = {} as Record<K, string>;
  const products = {} as Record<K, string>;
  for (const key of Object.keys(catalog) as K[]) {
    const { productId, priceId, ...definition } = catalog[key];
    const plan: CatalogPlan = { key, ...definition };
    store.products.set(productId, buildProduct(productId, priceId, plan, created));
    store.prices.set(priceId, buildPrice(priceId, productId, plan, created));
    prices[key] = priceId;
    products[key] = productId;
  }
  return { prices, products };
}
