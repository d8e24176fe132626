import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';

/**
 * What a refund or dispute event saw of a payment for which no pack had been credited yet (keyed by
 * its PaymentIntent). A pack's credit reads Stripe before its transaction, so a refund made after that
 * read and handled before the credit commits would otherwise be seen by neither side: the event finds
 * no pack, the credit applies its older reading. Both sides take the payment's advisory lock
 * (`pack-clawbacks.ts`), so the credit either reads this row or commits before the event looks again.
 *
 * Not tenant-scoped: the event can't know the account before a pack names it (and the payment may be
 * no pack's at all, such as a subscription invoice's). Amounts follow the grant's rules: the refunded
 * amount is cumulative (never lowered), a dispute view with less won than the stored one is older.
 */
export const earlyPaymentTakebacks = pgTable(
  'early_payment_takebacks',
  {
    paymentIntentId: text('payment_intent_id').primaryKey(),
    amountRefundedCents: integer('amount_refunded_cents').notNull().default(0),
    amountDisputedCents: integer('amount_disputed_cents').notNull().default(0),
    amountDisputeWonCents: integer('amount_dispute_won_cents').notNull().default(0),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check(
      'early_payment_takebacks_amounts_valid',
      sql`${t.amountRefundedCents} >= 0 and ${t.amountDisputedCents} >= 0 and ${t.amountDisputeWonCents} >= 0`,
    ),
  ],
);

export type EarlyPaymentTakebackRow = typeof earlyPaymentTakebacks.$inferSelect;
