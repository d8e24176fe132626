import { z } from 'zod';
import { parseStripeObject } from './stripe-shared';

/**
 * Dispute statuses under which the cardholder's bank holds the money: a chargeback open, lost, or
 * appealed after it was lost. A pack claws back what they hold, like a refund.
 */
export const DISPUTE_STATUSES_MONEY_TAKEN = [
  'needs_response',
  'under_review',
  'lost',
  'appeal_needs_response',
  'appeal_under_review',
] as const;

/**
 * Statuses under which the merchant keeps the money: an inquiry (warning_*: no money moved yet; it
 * becomes needs_response if the bank turns it into a chargeback), a dispute won, or one prevented.
 */
export const DISPUTE_STATUSES_MONEY_KEPT = [
  'warning_needs_response',
  'warning_under_review',
  'warning_closed',
  'won',
  'prevented',
] as const;

/**
 * A status Tollgate doesn't know can't be read as "money taken" or "kept": the parse refuses it (the
 * webhook is then a permanent failure an operator replays once the code knows it), rather than guess.
 */
const disputeSchema = z.object({
  amount: z.number().int().nonnegative(),
  status: z.enum([...DISPUTE_STATUSES_MONEY_TAKEN, ...DISPUTE_STATUSES_MONEY_KEPT]),
});
const disputesSchema = z.array(disputeSchema);

export interface PackDisputeAmounts {
  /** Held by the cardholder's bank now (chargebacks not won): clawed back like a refund. */
  disputedCents: number;
  /** Won by the merchant. What was clawed back for them stays so (an operator may grant it back). */
  wonCents: number;
}

/** What the disputes of one payment (Stripe Dispute objects, as listed) hold, in cents. */
export function packDisputeAmounts(disputes: unknown): PackDisputeAmounts {
  const parsed = parseStripeObject(disputesSchema, disputes, 'dispute');
  const taken: readonly string[] = DISPUTE_STATUSES_MONEY_TAKEN;
  let disputedCents = 0;
  let wonCents = 0;
  for (const dispute of parsed) {
    if (taken.includes(dispute.status)) disputedCents += dispute.amount;
    if (dispute.status === 'won') wonCents += dispute.amount;
  }
  return { disputedCents, wonCents };
}
