import type Stripe from 'stripe';
import { z } from 'zod';

const refundedCharge = z.object({ amount_refunded: z.number().int().nonnegative() });

/** Charges of one payment read at most: a PaymentIntent makes one per attempt, a handful at most. */
const CHARGES_READ = 100;

/**
 * What Stripe has refunded so far of a payment (the cumulative amount over its PaymentIntent's charges,
 * in cents), read when its pack is credited: a refund delivered before the purchase found nothing to
 * claw back and was recorded as ignored, so the credit itself must start with the clawback applied.
 */
export async function refundedCentsOfPayment(stripe: Stripe, paymentIntentId: string): Promise<number> {
  const charges = await stripe.charges.list({ payment_intent: paymentIntentId, limit: CHARGES_READ });
  return charges.data.reduce((sum, charge) => sum + refundedCharge.parse(charge).amount_refunded, 0);
}
