import { sql } from 'drizzle-orm';
import { check, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';
import { users } from './users';

/**
 * The monthly run cap a member had when they left or were removed, kept until they come back (an
 * invitation, or a host org's next token), when it becomes their membership's cap again and the row
 * goes. The membership row was the only durable copy of a cap: the period counters carry it only once
 * the period has a counter row (its first run), so a cap set early in a period was lost on remove and
 * re-add. Only caps are kept (no row: no cap), so an owner who lifted a cap (null) gets none back.
 *
 * A table of its own rather than soft-deleted memberships: every membership read (the tenant tier on
 * each call, seats, member lists, host-org checks) would need a `removed_at is null` filter, and one
 * missed would let a removed member act. Tenant-scoped: `account_id` leads the key.
 */
export const removedMemberCaps = pgTable(
  'removed_member_caps',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    monthlyRunCap: integer('monthly_run_cap').notNull(),
    removedAt: timestamptz('removed_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'removed_member_caps_pkey', columns: [t.accountId, t.userId] }),
    check('removed_member_caps_cap_non_negative', sql`${t.monthlyRunCap} >= 0`),
  ],
);

export type RemovedMemberCapRow = typeof removedMemberCaps.$inferSelect;
