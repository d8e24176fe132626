import { sql } from 'drizzle-orm';
import { check, index, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';

export const AUTO_TOP_UP_STATUSES = ['pending', 'succeeded', 'declined', 'failed'] as const;
export type AutoTopUpStatus = (typeof AUTO_TOP_UP_STATUSES)[number];

/**
 * One automatic pack purchase: made when a reservation took the spendable balance below the account's
 * threshold. At most one is `pending` per account (a unique index), so however many runs cross the
 * threshold together, one purchase is made; the next needs the balance to cross again after it
 * finished. Its id is the PaymentIntent's idempotency key, so a retried charge is charged once.
 */
export const autoTopUps = pgTable(
  'auto_top_ups',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    packId: text('pack_id').notNull(),
    status: text('status').$type<AutoTopUpStatus>().notNull().default('pending'),
    paymentIntentId: text('payment_intent_id'),
    /** Stripe's decline code (or error code) when declined or failed. */
    failureCode: text('failure_code'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    finishedAt: timestamptz('finished_at'),
  },
  (t) => [
    primaryKey({ name: 'auto_top_ups_pkey', columns: [t.accountId, t.id] }),
    uniqueIndex('auto_top_ups_one_pending')
      .on(t.accountId)
      .where(sql`${t.status} = 'pending'`),
    index('auto_top_ups_account_created_idx').on(t.accountId, t.createdAt),
    check('auto_top_ups_status_valid', sql`${t.status} in ('pending', 'succeeded', 'declined', 'failed')`),
  ],
);

export type AutoTopUpRow = typeof autoTopUps.$inferSelect;
