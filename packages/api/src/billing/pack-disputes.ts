import type { PackDisputeAmounts } from '@tollgate/domain';
import type Stripe from 'stripe';
import { z } from 'zod';
import { disputeAmountsOfPayment } from './payment-clawbacks';
import { PermanentWebhookError } from './webhook-errors';

/** A dispute of a charge as re-fetched from Stripe, with what all disputes of its payment hold now. */
export interface PackDisputeFacts {
  disputeId: string;
  status: string;
  paymentIntentId: string;
  amounts: PackDisputeAmounts;
}

const idOf = z
  .union([z.string(), z.object({ id: z.string() })])
  .transform((value) => (typeof value === 'string' ? value : value.id));

const disputeSchema = z.object({
  id: z.string().min(1),
  status: z.string().min(1),
  charge: idOf,
  payment_intent: idOf.nullable().optional(),
});

const chargeSchema = z.object({ payment_intent: idOf.nullable().optional() });

/**
 * Re-fetches a dispute (outside any transaction): Stripe's current word, whatever the event said, so
 * every dispute event converges on the same state. The payment it names is read from the dispute, or
 * from its charge (disputes of Charges-API payments name no PaymentIntent). Null: the charge belongs to
 * no PaymentIntent, so to no pack. A dispute Stripe doesn't have is a permanent failure (404).
 */
export async function preparePackDispute(
  stripe: Stripe,
  disputeId: string,
): Promise<PackDisputeFacts | null> {
  const parsed = disputeSchema.safeParse(await stripe.disputes.retrieve(disputeId));
  if (!parsed.success) {
    throw new PermanentWebhookError('malformed_event', `Dispute ${disputeId} could not be read`);
  }
  const dispute = parsed.data;
  const paymentIntentId = dispute.payment_intent ?? (await paymentIntentOfCharge(stripe, dispute.charge));
  if (!paymentIntentId) return null;
  return {
    disputeId,
    status: dispute.status,
    paymentIntentId,
    amounts: await disputeAmountsOfPayment(stripe, paymentIntentId),
  };
}

async function paymentIntentOfCharge(stripe: Stripe, chargeId: string): Promise<string | null> {
  const charge = chargeSchema.safeParse(await stripe.charges.retrieve(chargeId));
  if (!charge.success) {
    throw new PermanentWebhookError('malformed_event', `Charge ${chargeId} could not be read`);
  }
  return charge.data.payment_intent ?? null;
}
