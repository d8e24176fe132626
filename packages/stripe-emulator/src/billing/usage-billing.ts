import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import type { UsageCharge } from './invoicing';
import { customerIdOf } from './lookups';
import { aggregateMeter } from './meters';

type Period = { start: number; end: number };

/** A subscription with a metered item bills usage in arrears, so its renewal waits out the grace period. */
export function hasMeteredItem(subscription: Stripe.Subscription): boolean {
  return subscription.items.data.some((item) => item.price.recurring?.usage_type === 'metered');
}

/**
 * A metered price's usage by a customer over a period: quantity = the meter's aggregation of the
 * events timestamped in [start, end) (a negative total bills 0, like Stripe), amount = quantity ×
 * unit_amount_decimal rounded to the nearest cent. Null when the price names no known meter.
 */
export function meteredUsage(
  ctx: EmulatorContext,
  price: Stripe.Price,
  customer: string,
  period: Period,
): { quantity: number; amount: number } | null {
  const meterId = price.recurring?.meter;
  const meter = meterId ? ctx.store.meters.get(meterId) : undefined;
  if (!meter) return null;
  const quantity = Math.max(0, aggregateMeter(ctx, meter, customer, period.start, period.end));
  const unit = Number(String(price.unit_amount_decimal ?? price.unit_amount ?? 0));
  return { quantity, amount: Math.round(quantity * unit) };
}

/**
 * The metered items' usage over the period that just ended (as of now: a draft's lines are brought up
 * to date when it is finalized). Their periods move on with the licensed item's.
 */
export function usageCharges(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  ended: Period,
  next: Period,
): UsageCharge[] {
  const charges: UsageCharge[] = [];
  for (const item of subscription.items.data.slice(1)) {
    item.current_period_start = next.start;
    item.current_period_end = next.end;
    const usage = meteredUsage(ctx, item.price, customerIdOf(subscription), ended);
    if (usage) charges.push({ item, ...usage, period: { ...ended } });
  }
  return charges;
}
