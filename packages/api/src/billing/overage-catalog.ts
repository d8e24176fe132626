import { OVERAGE_PRICE } from '@tollgate/domain';
import Stripe from 'stripe';
import type { OverageBillingSettings } from './stripe-settings';

/**
 * Finds (or creates) the overage meter and its metered price at Stripe: the meter sums `value` per
 * customer for OVERAGE_PRICE.meterEventName, the price bills it per run at OVERAGE_PRICE's
 * unit_amount_decimal each month. Found by event name and lookup key, so a restart (or a second
 * replica) reuses them instead of creating copies. Used against the emulator and by a deployment's
 * setup; production may instead name them with STRIPE_OVERAGE_METER_ID / STRIPE_OVERAGE_PRICE_ID.
 */
export async function ensureOverageCatalog(stripe: Stripe): Promise<OverageBillingSettings> {
  const meters = await stripe.billing.meters.list({ status: 'active', limit: 100 });
  const meter =
    meters.data.find((candidate) => candidate.event_name === OVERAGE_PRICE.meterEventName) ??
    (await stripe.billing.meters.create({
      display_name: 'Agent runs past the plan',
      event_name: OVERAGE_PRICE.meterEventName,
      default_aggregation: { formula: 'sum' },
      customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
      value_settings: { event_payload_key: 'value' },
    }));
  const prices = await stripe.prices.list({ lookup_keys: [OVERAGE_PRICE.lookupKey], active: true, limit: 1 });
  const price =
    prices.data[0] ??
    (await stripe.prices.create({
      currency: OVERAGE_PRICE.currency,
      unit_amount_decimal: Stripe.Decimal.from(OVERAGE_PRICE.unitAmountDecimal),
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
      product_data: { name: 'Agent runs past the plan' },
      lookup_key: OVERAGE_PRICE.lookupKey,
    }));
  // The SDK's Decimal prints exactly what Stripe sent ("12.5"): caps are divided by that string.
  const unitAmountDecimal =
    price.unit_amount_decimal === null ? OVERAGE_PRICE.unitAmountDecimal : String(price.unit_amount_decimal);
  if (!(Number(unitAmountDecimal) > 0)) {
    throw new Error(
      `The overage price ${price.id} (lookup key ${OVERAGE_PRICE.lookupKey}) charges ${unitAmountDecimal} cents per run: money caps are divided by it; give it a price above 0`,
    );
  }
  return { meterId: meter.id, eventName: meter.event_name, priceId: price.id, unitAmountDecimal };
}
