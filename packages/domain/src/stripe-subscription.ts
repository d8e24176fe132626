import { z } from 'zod';
import { subscriptionStatusSchema, type SubscriptionStatus } from './subscription-status';
import {
  expandableIdSchema,
  metadataSchema,
  metadataAccountId,
  metadataUserId,
  parseStripeObject,
  unixTimeSchema,
} from './stripe-shared';

/** The subset of a Stripe subscription Tollgate needs, the same for every API version. */
export interface StripeSubscriptionSnapshot {
  id: string;
  customerId: string;
  status: SubscriptionStatus;
  priceId: string | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  cancelAt: Date | null;
  trialStart: Date | null;
  trialEnd: Date | null;
  created: Date;
  metadataUserId: string | null;
  metadataAccountId: string | null;
  /**
   * Seats: the quantity of the item carrying the price (seat-priced plans bill per member). Null when
   * Stripe sent no item or no quantity (old payloads with only `plan`).
   */
  quantity: number | null;
  /**
   * The plan item's recurring price as Stripe states it (the price object comes inside each item),
   * for revenue analytics; null when the item names its price by id only, the price isn't a plain
   * per-month or per-year amount (tiers, other intervals, interval_count above 1), or the price or the
   * subscription is in another currency than the catalog's (analytics has no exchange rates, and a
   * yen or euro amount is not a number of US cents).
   */
  recurringPrice: RecurringPrice | null;
  /** The price of every item (the plan's, a metered overage item beside it): what Stripe bills. */
  itemPriceIds: string[];
}

export interface RecurringPrice {
  unitAmountCents: number;
  interval: 'month' | 'year';
}

const itemPriceSchema = z.union([
  z.string().min(1),
  z.object({
    id: z.string().min(1),
    unit_amount: z.number().int().nonnegative().nullish(),
    currency: z.string().nullish(),
    recurring: z
      .object({ interval: z.string(), interval_count: z.number().int().positive().nullish() })
      .nullish(),
  }),
]);
type ItemPrice = z.infer<typeof itemPriceSchema>;

function priceIdOf(price: ItemPrice): string {
  return typeof price === 'string' ? price : price.id;
}

/** The currency every catalog price is in (plans.ts): the only one analytics adds up. */
const CATALOG_CURRENCY = 'usd';

/** Stripe writes currencies in lower case; missing (an old or trimmed payload) is taken as the catalog's. */
const isCatalogCurrency = (currency: string | null | undefined): boolean =>
  currency == null || currency.toLowerCase() === CATALOG_CURRENCY;

function recurringPriceOf(
  price: ItemPrice | null | undefined,
  subscriptionCurrency: string | null | undefined,
): RecurringPrice | null {
  if (price == null || typeof price === 'string') return null;
  if (!isCatalogCurrency(price.currency) || !isCatalogCurrency(subscriptionCurrency)) return null;
  const { unit_amount: unitAmount, recurring } = price;
  if (unitAmount == null || recurring == null || (recurring.interval_count ?? 1) !== 1) return null;
  if (recurring.interval !== 'month' && recurring.interval !== 'year') return null;
  return { unitAmountCents: unitAmount, interval: recurring.interval };
}

const itemSchema = z.object({
  price: itemPriceSchema.nullish(),
  // API 2025-03-31 (basil) and later: the billing period lives on each item.
  current_period_start: unixTimeSchema.nullish(),
  current_period_end: unixTimeSchema.nullish(),
  quantity: z.number().int().nonnegative().nullish(),
});

const subscriptionSchema = z.object({
  id: z.string().min(1),
  object: z.literal('subscription').optional(),
  customer: expandableIdSchema,
  status: subscriptionStatusSchema,
  // What Stripe bills in: a price with currency_options bills another currency than its own.
  currency: z.string().nullish(),
  items: z.object({ data: z.array(itemSchema) }).nullish(),
  // Before basil the period was on the subscription itself, as was the single `plan`.
  current_period_start: unixTimeSchema.nullish(),
  current_period_end: unixTimeSchema.nullish(),
  plan: z.object({ id: z.string().min(1) }).nullish(),
  cancel_at_period_end: z.boolean().nullish(),
  cancel_at: unixTimeSchema.nullish(),
  trial_start: unixTimeSchema.nullish(),
  trial_end: unixTimeSchema.nullish(),
  created: unixTimeSchema,
  metadata: metadataSchema,
});

/**
 * Parses a Stripe subscription object (plain JSON, any API version: the period is read from the plan's
 * item for basil and later, from the subscription for older versions). Throws AppError BAD_REQUEST on
 * anything that isn't a subscription.
 *
 * The plan's item is the first whose price `isPlanPrice` knows: a subscription may carry other items
 * next to it (a metered price for overage, an add-on), which are ignored here, never fatal. When no
 * item's price is known, the first item stands for the plan (its price is then reported as unknown).
 * Its quantity is the seats.
 */
export function parseStripeSubscription(
  json: unknown,
  isPlanPrice: (priceId: string) => boolean = () => true,
): StripeSubscriptionSnapshot {
  const sub = parseStripeObject(subscriptionSchema, json, 'subscription');
  const items = sub.items?.data ?? [];
  const item =
    items.find((candidate) => candidate.price != null && isPlanPrice(priceIdOf(candidate.price))) ?? items[0];
  const currentPeriodStart = item?.current_period_start ?? sub.current_period_start ?? null;
  const currentPeriodEnd = item?.current_period_end ?? sub.current_period_end ?? null;
  const cancelAt = sub.cancel_at ?? null;
  return {
    id: sub.id,
    customerId: sub.customer,
    status: sub.status,
    priceId: item?.price != null ? priceIdOf(item.price) : (sub.plan?.id ?? null),
    currentPeriodStart,
    currentPeriodEnd,
    cancelAtPeriodEnd: (sub.cancel_at_period_end ?? false) || endsByPeriodEnd(cancelAt, currentPeriodEnd),
    cancelAt,
    trialStart: sub.trial_start ?? null,
    trialEnd: sub.trial_end ?? null,
    created: sub.created,
    metadataUserId: metadataUserId(sub.metadata),
    metadataAccountId: metadataAccountId(sub.metadata),
    quantity: item?.quantity ?? null,
    recurringPrice: recurringPriceOf(item?.price, sub.currency),
    itemPriceIds: items.flatMap((candidate) => (candidate.price != null ? [priceIdOf(candidate.price)] : [])),
  };
}

/**
 * Newer dashboards and portals may schedule a cancellation through `cancel_at` (set to the period
 * end) without `cancel_at_period_end`. Either way the subscription will not renew.
 */
function endsByPeriodEnd(cancelAt: Date | null, periodEnd: Date | null): boolean {
  return cancelAt !== null && periodEnd !== null && cancelAt <= periodEnd;
}
