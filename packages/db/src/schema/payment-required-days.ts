import type { PlanId } from '@tollgate/domain';
import { sql } from 'drizzle-orm';
import { check, date, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';

/**
 * Authorizations answered 402, counted per account, UTC day, plan and code: the 402 rate and the
 * first-402 follow-up of the analytics, and "runs denied" in an account's timeline. A counter per day,
 * not a row per refusal, so a client hammering a refused account adds no rows (`first_at` keeps the
 * first refusal's instant, which the 7-day follow-up starts from).
 */
export const paymentRequiredDays = pgTable(
  'payment_required_days',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    plan: text('plan').$type<PlanId>().notNull(),
    code: text('code').notNull(),
    denials: integer('denials').notNull(),
    firstAt: timestamptz('first_at').notNull(),
    lastAt: timestamptz('last_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'payment_required_days_pkey', columns: [t.accountId, t.day, t.plan, t.code] }),
    check('payment_required_days_denials_positive', sql`${t.denials} > 0`),
  ],
);
