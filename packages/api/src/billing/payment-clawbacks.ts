import { applyTakenBackAtCredit, type Database } from '@tollgate/db';
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
 * found no pack (answered as ignored), so the credit itself must start with the clawback applied.
 * Disputes are listed only when a charge says it is disputed. A refund made after this read and
 * handled before the credit commits is not in it: the event recorded it for the credit instead.
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

/**
 * In the transaction that credits the pack: applies what was taken back before, as read with the
 * purchase and as refund or dispute events recorded while the pack was not there yet (one of them may
 * have come after the read: both are applied, under a lock those events take too).
 */
export async function applyTakenBack(
  tx: Database,
  paymentIntentId: string,
  takenBack: PaymentTakenBack,
): Promise<void> {
  await applyTakenBackAtCredit(tx, {
    paymentIntentId,
    read: {
      amountRefundedCents: takenBack.amountRefundedCents,
      amountDisputedCents: takenBack.disputes.disputedCents,
      amountDisputeWonCents: takenBack.disputes.wonCents,
    },
  });
}
