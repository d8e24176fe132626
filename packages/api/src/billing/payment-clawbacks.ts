import { applyPackDispute, applyPackRefund, type Database } from '@tollgate/db';
import { packDisputeAmounts, type PackDisputeAmounts } from '@tollgate/domain';
import type Stripe from 'stripe';
import { z } from 'zod';
import { parsePermanently } from './webhook-errors';

const chargeSchema = z.object({
  amount_refunded: z.number().int().nonnegative(),
  disputed: z.boolean().optional(),
});

/** Charges of one payment read at most: a PaymentIntent makes one per attempt, a handful at most. */
const CHARGES_READ = 100;
/** Disputes of one payment read at most: Stripe opens one per charge, rarely a few. */
const DISPUTES_READ = 100;

/** What Stripe has taken back of a payment so far: refunded, and held by disputes (or won back). */
export interface PaymentTakenBack {
  amountRefundedCents: number;
  disputes: PackDisputeAmounts;
}

const NO_DISPUTES: PackDisputeAmounts = { disputedCents: 0, wonCents: 0 };

/** A payment not made (yet): nothing taken back. */
export const NOTHING_TAKEN_BACK: PaymentTakenBack = { amountRefundedCents: 0, disputes: NO_DISPUTES };

/**
 * What the disputes of a payment hold now, every dispute of its charges as Stripe lists them (a dispute
 * Tollgate can't read, such as an unknown status, is a permanent failure).
 */
export async function disputeAmountsOfPayment(
  stripe: Stripe,
  paymentIntentId: string,
): Promise<PackDisputeAmounts> {
  const disputes = await stripe.disputes.list({ payment_intent: paymentIntentId, limit: DISPUTES_READ });
  return parsePermanently(() => packDisputeAmounts(disputes.data));
}

/**
 * What Stripe took back of a payment before its pack was credited (the cumulative refunded amount over
 * its PaymentIntent's charges, and its disputes): a refund or dispute delivered before the purchase
 * found no pack and was recorded as ignored, so the credit itself must start with the clawback applied.
 * Disputes are listed only when a charge says it is disputed.
 */
export async function takenBackOfPayment(stripe: Stripe, paymentIntentId: string): Promise<PaymentTakenBack> {
  const listed = await stripe.charges.list({ payment_intent: paymentIntentId, limit: CHARGES_READ });
  const charges = listed.data.map((charge) => chargeSchema.parse(charge));
  const amountRefundedCents = charges.reduce((sum, charge) => sum + charge.amount_refunded, 0);
  const isDisputed = charges.some((charge) => charge.disputed === true);
  return {
    amountRefundedCents,
    disputes: isDisputed ? await disputeAmountsOfPayment(stripe, paymentIntentId) : NO_DISPUTES,
  };
}

/** In the transaction that credits the pack: applies what was taken back before (nothing when nothing). */
export async function applyTakenBack(
  tx: Database,
  paymentIntentId: string,
  takenBack: PaymentTakenBack,
): Promise<void> {
  if (takenBack.amountRefundedCents > 0) {
    await applyPackRefund(tx, { paymentIntentId, amountRefundedCents: takenBack.amountRefundedCents });
  }
  const { disputedCents, wonCents } = takenBack.disputes;
  if (disputedCents > 0 || wonCents > 0) {
    await applyPackDispute(tx, {
      paymentIntentId,
      amountDisputedCents: disputedCents,
      amountDisputeWonCents: wonCents,
    });
  }
}
