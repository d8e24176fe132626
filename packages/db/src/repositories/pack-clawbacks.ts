import { and, eq, sql } from 'drizzle-orm';
import { packClawbackUnits } from '@tollgate/domain';
import type { Database } from '../database';
import { creditGrants, earlyPaymentTakebacks, type CreditGrantRow } from '../schema';

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

/** What Stripe says about a pack's payment: refunded so far, held by disputes not won, won back. */
export type PaymentFacts = Pick<
  CreditGrantRow,
  'amountRefundedCents' | 'amountDisputedCents' | 'amountDisputeWonCents'
>;

/** The facts to store given the stored ones; null: nothing to change (an older view). */
type NextFacts = (stored: PaymentFacts) => PaymentFacts | null;

const NO_FACTS: PaymentFacts = { amountRefundedCents: 0, amountDisputedCents: 0, amountDisputeWonCents: 0 };

/**
 * A refund of a pack's charge: its clawback follows the charge's CUMULATIVE refunded amount (never
 * lower than before, so refunds delivered in any order, or twice, converge), the difference taken from
 * what the pack still holds (spent runs stay spent). Null when no pack was paid by this payment intent:
 * what the refund says is then kept for the pack's credit (see `earlyPaymentTakebacks`).
 */
export async function applyPackRefund(
  db: Database,
  input: { paymentIntentId: string; amountRefundedCents: number },
): Promise<ClawbackResult | null> {
  return clawBack(db, input.paymentIntentId, withRefund(input.amountRefundedCents));
}

/**
 * The disputes of a pack's charge, as Stripe lists them now: what those not won hold claws back like a
 * refund. A dispute won later lowers the disputed amount but not the clawback (the target is never
 * lowered: an operator may grant the runs back). Won is final, so a view with less won than the one
 * stored is older than it (two deliveries re-fetched at once, applied in reverse) and changes nothing.
 * Null when no pack was paid by this payment intent: the view is then kept for the pack's credit.
 */
export async function applyPackDispute(
  db: Database,
  input: { paymentIntentId: string; amountDisputedCents: number; amountDisputeWonCents: number },
): Promise<ClawbackResult | null> {
  return clawBack(db, input.paymentIntentId, withDisputes(input));
}

/**
 * In the transaction that credits a pack, after its insert: applies what Stripe had taken back of the
 * payment when the credit read it (`read`) and what refund and dispute events recorded while no pack
 * had it, under the payment's lock. An event handled between the credit's read of Stripe and its commit
 * either recorded its view before the lock was taken here (read now), or waits for this commit and
 * then finds the pack: no order of the two leaves a refunded pack spendable. Null: nothing was
 * taken back (or no pack has this payment).
 */
export async function applyTakenBackAtCredit(
  db: Database,
  input: { paymentIntentId: string; read: PaymentFacts },
): Promise<ClawbackResult | null> {
  return db.transaction(async (tx) => {
    await tx.execute(lockPayment(input.paymentIntentId));
    const early = (await findEarlyTakeback(tx, input.paymentIntentId)) ?? NO_FACTS;
    // Fewer won cents first: won is final, so that view is the older one (applied second, it would be
    // dropped as older than the stored one). Each step only raises the target.
    const views = [input.read, early]
      .filter(takesSomething)
      .sort((a, b) => a.amountDisputeWonCents - b.amountDisputeWonCents);
    let result: ClawbackResult | null = null;
    for (const view of views) result = await clawBack(tx, input.paymentIntentId, withCreditView(view));
    return result;
  });
}

const takesSomething = (view: PaymentFacts) =>
  view.amountRefundedCents > 0 || view.amountDisputedCents > 0 || view.amountDisputeWonCents > 0;

/** The cumulative refunded amount: never lower than the stored one. */
function withRefund(amountRefundedCents: number) {
  return (stored: PaymentFacts): PaymentFacts => ({
    amountRefundedCents: Math.max(stored.amountRefundedCents, amountRefundedCents),
    amountDisputedCents: stored.amountDisputedCents,
    amountDisputeWonCents: stored.amountDisputeWonCents,
  });
}

/** What disputes hold now, unless the view has less won than the stored one (then it is older). */
function withDisputes(view: Omit<PaymentFacts, 'amountRefundedCents'>): NextFacts {
  return (stored) =>
    view.amountDisputeWonCents < stored.amountDisputeWonCents
      ? null
      : {
          amountRefundedCents: stored.amountRefundedCents,
          amountDisputedCents: view.amountDisputedCents,
          amountDisputeWonCents: view.amountDisputeWonCents,
        };
}

/**
 * A view read for a credit: its refund, and its disputes only when it names some (a refund event's
 * record, or a read of a payment never disputed, says nothing about disputes).
 */
function withCreditView(view: PaymentFacts): NextFacts {
  const namesDisputes = view.amountDisputedCents > 0 || view.amountDisputeWonCents > 0;
  return (stored) => {
    const refunded = withRefund(view.amountRefundedCents)(stored);
    return (namesDisputes ? withDisputes(view)(refunded) : null) ?? refunded;
  };
}

/**
 * A pack's payment and its credit take turns on this transaction-scoped advisory lock: an event that
 * found no pack, and the credit of that payment's pack. The row lock of a pack can't serve: before the
 * credit commits there is no row another transaction could wait for.
 */
const lockPayment = (paymentIntentId: string) =>
  sql`select pg_advisory_xact_lock(hashtext('tollgate:pack-payments'), hashtext(${paymentIntentId}))`;

/**
 * One step under the grant's row lock: record Stripe's amounts, raise the target to ⌈units ×
 * min(paid, refunded + disputed) ÷ paid⌉ (never lower), and take the difference from what is unspent.
 */
async function clawBack(
  db: Database,
  paymentIntentId: string,
  next: NextFacts,
): Promise<ClawbackResult | null> {
  return db.transaction(async (tx) => {
    const grant =
      (await lockPackGrant(tx, paymentIntentId)) ?? (await packOrRecord(tx, paymentIntentId, next));
    if (!grant || grant.amountPaidCents === null) return null;
    return takeBack(tx, grant, grant.amountPaidCents, next(grant) ?? grant);
  });
}

/** The pack paid by this payment, locked; null while none is (or none ever will be). */
async function lockPackGrant(tx: Database, paymentIntentId: string): Promise<CreditGrantRow | null> {
  const [grant] = await tx
    .select()
    .from(creditGrants)
    .where(and(eq(creditGrants.paymentIntentId, paymentIntentId), eq(creditGrants.source, 'pack')))
    .for('no key update');
  return grant ?? null;
}

/**
 * No pack has this payment (yet): under the payment's lock, look again. A credit that held the lock has
 * committed by now, so its pack is seen and takes this step; else the view is recorded for the credit
 * to apply, which takes the lock after this commits. Null: recorded.
 */
async function packOrRecord(
  tx: Database,
  paymentIntentId: string,
  next: NextFacts,
): Promise<CreditGrantRow | null> {
  await tx.execute(lockPayment(paymentIntentId));
  const grant = await lockPackGrant(tx, paymentIntentId);
  if (grant) return grant;
  const facts = next((await findEarlyTakeback(tx, paymentIntentId)) ?? NO_FACTS);
  if (!facts) return null;
  await tx
    .insert(earlyPaymentTakebacks)
    .values({ paymentIntentId, ...facts })
    .onConflictDoUpdate({
      target: earlyPaymentTakebacks.paymentIntentId,
      set: { ...facts, updatedAt: sql`now()` },
    });
  return null;
}

/** What events recorded of a payment while no pack had it (read under the payment's lock). */
async function findEarlyTakeback(tx: Database, paymentIntentId: string): Promise<PaymentFacts | null> {
  const [row] = await tx
    .select({
      amountRefundedCents: earlyPaymentTakebacks.amountRefundedCents,
      amountDisputedCents: earlyPaymentTakebacks.amountDisputedCents,
      amountDisputeWonCents: earlyPaymentTakebacks.amountDisputeWonCents,
    })
    .from(earlyPaymentTakebacks)
    .where(eq(earlyPaymentTakebacks.paymentIntentId, paymentIntentId));
  return row ?? null;
}

/** Records Stripe's amounts on the locked grant and takes what the raised target asks from the unspent. */
async function takeBack(
  tx: Database,
  grant: CreditGrantRow,
  amountPaidCents: number,
  facts: PaymentFacts,
): Promise<ClawbackResult> {
  const takenBack = facts.amountRefundedCents + facts.amountDisputedCents;
  const target = Math.max(grant.clawbackUnits, packClawbackUnits(grant.units, amountPaidCents, takenBack));
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
}
