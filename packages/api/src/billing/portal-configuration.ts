import { createHash, randomUUID } from 'node:crypto';
import { checkoutPlansFor, type AccountKind } from '@tollgate/domain';
import type Stripe from 'stripe';
import type { Logger } from '../logger';
import type { BillingSettings } from './stripe-settings';
import { isResourceMissing } from './stripe-errors';

/** Names Tollgate's configurations at Stripe, so any replica (or a restart) finds the one made before. */
const METADATA_KEY = 'tollgate_portal';

type ConfigurationParams = Stripe.BillingPortal.ConfigurationCreateParams;
type PortalProduct = Stripe.BillingPortal.ConfigurationCreateParams.Features.SubscriptionUpdate.Product;

/**
 * One Customer Portal configuration per account kind, offering only the plans that kind may buy
 * (checkoutPlansFor): a personal account switches between BASIC and PRO, a team stays on TEAM. Without
 * one, Stripe's default configuration offers whatever the dashboard lists, and a team could move its
 * per-seat subscription to BASIC (one price for any team size).
 *
 * Made once and reused: the configuration's parameters (the allowed prices among them) are hashed into
 * a key kept in its metadata. A process looks for an active configuration carrying its key and offering
 * exactly its prices, and creates one under that key as idempotency key when there is none, so
 * replicas starting together make one, a restart finds it again, and a price change (another hash)
 * makes a new one. The id is cached per process.
 */
export function createPortalConfigurations(settings: BillingSettings, logger: Logger) {
  const { stripe } = settings;
  const cache = new Map<AccountKind, Promise<string>>();

  /**
   * The kind's prices, grouped by product (what Stripe's subscription_update.products takes). A price
   * Stripe doesn't have, or that is archived, is left out (logged): the portal must still let customers
   * cancel and update their card.
   */
  async function productsFor(kind: AccountKind): Promise<PortalProduct[]> {
    const byProduct = new Map<string, string[]>();
    for (const plan of checkoutPlansFor(kind)) {
      const priceId = settings.priceIds[plan];
      const price = await retrievePrice(priceId);
      if (!price || !price.active || price.type !== 'recurring') {
        logger.warn('portal configuration leaves out a plan price Stripe cannot offer', { plan, priceId });
        continue;
      }
      const product = typeof price.product === 'string' ? price.product : price.product.id;
      byProduct.set(product, [...(byProduct.get(product) ?? []), price.id]);
    }
    return [...byProduct].map(([product, prices]) => ({ product, prices }));
  }

  async function retrievePrice(priceId: string): Promise<Stripe.Price | null> {
    try {
      return await stripe.prices.retrieve(priceId);
    } catch (error) {
      if (isResourceMissing(error)) {
        return null;
      }
      throw error;
    }
  }

  async function paramsFor(kind: AccountKind): Promise<ConfigurationParams> {
    const products = await productsFor(kind);
    return {
      name: `Tollgate: ${kind} accounts`,
      features: {
        invoice_history: { enabled: true },
        payment_method_update: { enabled: true },
        subscription_cancel: { enabled: true, mode: 'at_period_end', proration_behavior: 'none' },
        // Prices only: a seat-priced plan's quantity follows the member count, never the customer.
        // Upgrades take effect at once and their prorated difference is invoiced and charged at once
        // (always_invoice); a switch to a lower amount waits for the period end (Stripe schedules it).
        // With create_prorations and immediate downgrades, an hour on PRO followed by a switch back
        // to BASIC cost about $30/720 and kept PRO's runs already used: the upgrade's charge and the
        // downgrade's credit cancelled out. Now the allowance paid for is the allowance kept.
        subscription_update:
          products.length > 0
            ? {
                enabled: true,
                default_allowed_updates: ['price'],
                products,
                proration_behavior: 'always_invoice',
                schedule_at_period_end: { conditions: [{ type: 'decreasing_item_amount' }] },
              }
            : { enabled: false },
      },
    };
  }

  async function resolve(kind: AccountKind, isAfterRefusal: boolean): Promise<string> {
    const params = await paramsFor(kind);
    const key = `${kind}-${createHash('sha256').update(JSON.stringify(params)).digest('hex').slice(0, 32)}`;
    // Found by the key alone: it hashes every setting, the prices included. (Stripe may leave
    // `features.subscription_update.products` out of a list's objects unless expanded, so comparing
    // them would never find one and every start would make another.)
    const configurations = await stripe.billingPortal.configurations
      .list({ active: true, limit: 100 })
      .autoPagingToArray({ limit: 1000 });
    const found = configurations.find((configuration) => configuration.metadata?.[METADATA_KEY] === key);
    if (found) return found.id;
    // After Stripe refused the one made under this key (deactivated within the key's 24 h, when a
    // retry would replay it), a key of its own makes a new one.
    const idempotencyKey = `tollgate-portal-configuration-${key}${isAfterRefusal ? `-${randomUUID()}` : ''}`;
    const created = await stripe.billingPortal.configurations.create(
      { ...params, metadata: { [METADATA_KEY]: key } },
      { idempotencyKey },
    );
    return created.id;
  }

  /** The configuration for `kind` (made or found at first use, then cached; a failure is retried next time). */
  function idFor(kind: AccountKind): Promise<string> {
    return cache.get(kind) ?? remember(kind, resolve(kind, false));
  }

  /** After Stripe refused the cached configuration (deactivated in the dashboard): found or made again. */
  function replace(kind: AccountKind): Promise<string> {
    return remember(kind, resolve(kind, true));
  }

  function remember(kind: AccountKind, pending: Promise<string>): Promise<string> {
    cache.set(kind, pending);
    pending.catch(() => {
      if (cache.get(kind) === pending) cache.delete(kind);
    });
    return pending;
  }

  return { idFor, replace };
}

export type PortalConfigurations = ReturnType<typeof createPortalConfigurations>;
