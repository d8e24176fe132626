import { and, eq } from 'drizzle-orm';
import { packClawbackUnits } from '@tollgate/domain';
import type { Database } from '../database';
import { creditGrants, type CreditGrantRow } from '../schema';

export interface ClawbackResult {
  accountId: string;
  grantId: string;
  packId: string | null;
  /** The pack's total clawback after this step (⌈units × min(paid, refunded + disputed) ÷ paid⌉). */
  clawbackUnits: number;
  /** Units this step took from what was unspent. */
  removedNow: number;
  /** Units still owed (spent before the refund): taken from units the pack gets back later, if any. */
  owed: number;
  amountRefundedCents: number;
  amountDisputedCents: number;
  amountDisputeWonCents: number;
}

/** What Stripe says about a pack's payment now; null: nothing to change (an older view). */
type PaymentFacts = Pick<
  CreditGrantRow,
  'amountRefundedCents' | 'amountDisputedCents' | 'amountDisputeWonCents'
>;

/**
 * A refund of a pack's charge: its clawback follows the charge's CUMULATIVE refunded amount (never
 * lower than before, so refunds delivered in any order, or twice, converge), the difference taken from
 * what the pack still holds (spent runs stay spent). Null when no pack was paid by this payment intent.
 */
export async function applyPackRefund(
  db: Database,
  input: { paymentIntentId: string; amountRefundedCents: number },
): Promise<ClawbackResult | null> {
  return clawBack(db, input.paymentIntentId, (grant) => ({
    amountRefundedCents: Math.max(grant.amountRefundedCents, input.amountRefundedCents),
    amountDisputedCents: grant.amountDisputedCents,
    amountDisputeWonCents: grant.amountDisputeWonCents,
  }));
}

/**
 * The disputes of a pack's charge, as Stripe lists them now: what those not won hold claws back like a
 * refund. A dispute won later lowers the disputed amount but not the clawback (the target is never
 * lowered: an operator may grant the runs back). Won is final, so a view with less won than the one
 * stored is older than it (two deliveries re-fetched at once, applied in reverse) and changes nothing.
 * Null when no pack was paid by this payment intent.
 */
export async function applyPackDispute(
  db: Database,
  input: { paymentIntentId: string; amountDisputedCents: number; amountDisputeWonCents: number },
): Promise<ClawbackResult | null> {
  return clawBack(db, input.paymentIntentId, (grant) =>
    input.amountDisputeWonCents < grant.amountDisputeWonCents
      ? null
      : {
          amountRefundedCents: grant.amountRefundedCents,
          amountDisputedCents: input.amountDisputedCents,
          amountDisputeWonCents: input.amountDisputeWonCents,
        },
  );
}

/**
 * One step under the grant's row lock: record Stripe's amounts, raise the target to ⌈units ×
 * min(paid, refunded + disputed) ÷ paid⌉ (never lower), and take the difference from what is unspent.
 */
async function clawBack(
  db: Database,
  paymentIntentId: string,
  factsOf: (grant: CreditGrantRow) => PaymentFacts | null,
): Promise<ClawbackResult | null> {
  return db.transaction(async (tx) => {
    const [grant] = await tx
      .select()
      .from(creditGrants)
      .where(and(eq(creditGrants.paymentIntentId, paymentIntentId), eq(creditGrants.source, 'pack')))
      .for('no key update');
    if (!grant || grant.amountPaidCents === null) return null;
    const facts = factsOf(grant) ?? grant;
    const takenBack = facts.amountRefundedCents + facts.amountDisputedCents;
    const target = Math.max(
      grant.clawbackUnits,
      packClawbackUnits(grant.units, grant.amountPaidCents, takenBack),
    );
    const removedNow = Math.min(target - grant.clawedBackUnits, grant.remaining);
    const [updated] = await tx
      .update(creditGrants)
      .set({
        clawbackUnits: target,
        clawedBackUnits: grant.clawedBackUnits + removedNow,
        remaining: grant.remaining - removedNow,
        amountRefundedCents: facts.amountRefundedCents,
        amountDisputedCents: facts.amountDisputedCents,
        amountDisputeWonCents: facts.amountDisputeWonCents,
      })
      .where(and(eq(creditGrants.accountId, grant.accountId), eq(creditGrants.id, grant.id)))
      .returning();
    const after = updated ?? grant;
    return {
      accountId: grant.accountId,
      grantId: grant.id,
      packId: grant.packId,
      clawbackUnits: after.clawbackUnits,
      removedNow,
      owed: after.clawbackUnits - after.clawedBackUnits,
      amountRefundedCents: after.amountRefundedCents,
      amountDisputedCents: after.amountDisputedCents,
      amountDisputeWonCents: after.amountDisputeWonCents,
    };
  });
}
