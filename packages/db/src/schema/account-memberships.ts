import type { AccountRole } from '@tollgate/domain';
import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';
import { users } from './users';

/** What a member may do in its account: the domain's account roles (its `can` table). */
export type MembershipRole = AccountRole;

/** Who belongs to which account, with which role. Read on every call that names an account. */
export const accountMemberships = pgTable(
  'account_memberships',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').$type<MembershipRole>().notNull(),
    /** Runs this member may use per period, set by an admin (null: only the account's pool limits it). */
    monthlyRunCap: integer('monthly_run_cap'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'account_memberships_pkey', columns: [t.accountId, t.userId] }),
    // A user's accounts (the switcher).
    index('account_memberships_user_id_idx').on(t.userId),
    check('account_memberships_role_valid', sql`${t.role} in ('owner', 'admin', 'member')`),
    check('account_memberships_cap_non_negative', sql`${t.monthlyRunCap} is null or ${t.monthlyRunCap} >= 0`),
  ],
);

export type AccountMembershipRow = typeof accountMemberships.$inferSelect;
