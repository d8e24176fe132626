import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, unique, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';

/** Where a grant came from: a pack bought through Stripe Checkout, or an operator's grant. */
export const CREDIT_GRANT_SOURCES = ['pack', 'operator'] as const;
export type CreditGrantSource = (typeof CREDIT_GRANT_SOURCES)[number];

/** Packs are drawn after operator grants of a smaller priority, before those of a larger one. */
export const DEFAULT_GRANT_PRIORITY = 100;

/**
 * A bucket of units an account may spend besides its plan's allowance for the period (that one is the
 * period row). Runs draw from the allowance first, then from grants by priority (smaller first),
 * soonest expiry, then oldest; what each run drew is in run_draws.
 *
 * Every unit of a grant is in exactly one place, so the books balance:
 *   units = remaining + Σ run_draws.units + expired_units + clawed_back_units
 * Expired remainders are moved to expired_units by the sweeper (breakage), never silently dropped.
 * A refund's or dispute's clawback target (⌈units × min(paid, refunded + disputed) ÷ paid⌉, from the
 * charge's cumulative refund and what its disputes not won hold) is clawback_units, never lowered;
 * what could be taken from the unspent part is clawed_back_units (spent runs stay spent); units a run
 * gives back later pay what is still owed first.
 */
export const creditGrants = pgTable(
  'credit_grants',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    source: text('source').$type<CreditGrantSource>().notNull(),
    /** The catalog pack (source pack). */
    packId: text('pack_id'),
    units: integer('units').notNull(),
    remaining: integer('remaining').notNull(),
    priority: integer('priority').notNull().default(DEFAULT_GRANT_PRIORITY),
    startsAt: timestamptz('starts_at').notNull(),
    /** Null: never expires (operator grants may say so). */
    expiresAt: timestamptz('expires_at'),
    expiredUnits: integer('expired_units').notNull().default(0),
    clawbackUnits: integer('clawback_units').notNull().default(0),
    clawedBackUnits: integer('clawed_back_units').notNull().default(0),
    /** Stripe: the Checkout Session that paid for it (one grant per session, ever). */
    checkoutSessionId: text('checkout_session_id'),
    /** Or the automatic purchase that paid for it off-session (one grant per purchase, ever). */
    autoTopUpId: uuid('auto_top_up_id'),
    paymentIntentId: text('payment_intent_id'),
    amountPaidCents: integer('amount_paid_cents'),
    amountRefundedCents: integer('amount_refunded_cents').notNull().default(0),
    /** What disputes of the charge not won hold now (open, lost, appealed), as last read from Stripe. */
    amountDisputedCents: integer('amount_disputed_cents').notNull().default(0),
    /**
     * Disputes the merchant won: what was clawed back while they were open stays clawed back (the
     * target is never lowered); recorded so an operator can grant those runs back.
     */
    amountDisputeWonCents: integer('amount_dispute_won_cents').notNull().default(0),
    currency: text('currency'),
    /** Operator grants: who granted it and the reason they typed. */
    grantedBy: text('granted_by'),
    reason: text('reason'),
    /** An operator grant's idempotency key (the console sends one per dialog): a retry grants once. */
    idempotencyKey: text('idempotency_key'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'credit_grants_pkey', columns: [t.accountId, t.id] }),
    unique('credit_grants_account_id_checkout_session_id_unique').on(t.accountId, t.checkoutSessionId),
    unique('credit_grants_account_id_auto_top_up_id_unique').on(t.accountId, t.autoTopUpId),
    unique('credit_grants_account_id_idempotency_key_unique').on(t.accountId, t.idempotencyKey),
    // The reservation statement's probe: an account's grants that still hold units.
    index('credit_grants_spendable_idx')
      .on(t.accountId)
      .where(sql`${t.remaining} > 0`),
    // Refunds find their pack by payment intent.
    index('credit_grants_payment_intent_id_idx')
      .on(t.paymentIntentId)
      .where(sql`${t.paymentIntentId} is not null`),
    // The expiry sweep.
    index('credit_grants_expires_at_idx')
      .on(t.expiresAt)
      .where(sql`${t.remaining} > 0 and ${t.expiresAt} is not null`),
    check('credit_grants_source_valid', sql`${t.source} in ('pack', 'operator')`),
    check('credit_grants_units_positive', sql`${t.units} > 0`),
    check(
      'credit_grants_parts_valid',
      sql`${t.remaining} >= 0 and ${t.expiredUnits} >= 0 and ${t.clawedBackUnits} >= 0
        and ${t.remaining} + ${t.expiredUnits} + ${t.clawedBackUnits} <= ${t.units}`,
    ),
    check(
      'credit_grants_clawback_valid',
      sql`${t.clawedBackUnits} <= ${t.clawbackUnits} and ${t.clawbackUnits} <= ${t.units}`,
    ),
    check(
      'credit_grants_dispute_amounts_valid',
      sql`${t.amountDisputedCents} >= 0 and ${t.amountDisputeWonCents} >= 0`,
    ),
    check('credit_grants_window_valid', sql`${t.expiresAt} is null or ${t.expiresAt} > ${t.startsAt}`),
    check(
      'credit_grants_pack_paid',
      sql`${t.source} <> 'pack' or (${t.packId} is not null
        and (${t.checkoutSessionId} is not null or ${t.autoTopUpId} is not null) and ${t.amountPaidCents} > 0)`,
    ),
  ],
);

export type CreditGrantRow = typeof creditGrants.$inferSelect;
export type NewCreditGrantRow = typeof creditGrants.$inferInsert;
