import type { AccountKind } from '@tollgate/domain';
import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { users } from './users';

export type { AccountKind } from '@tollgate/domain';

/**
 * The billing account: the tenant. Its subscription, usage periods, ledger, sessions and Stripe customer
 * are keyed by its id, so every tenant row (and every key of one) carries `account_id`.
 */
export const accounts = pgTable(
  'accounts',
  {
    // A personal account's id is derived from its user's id (personalAccountId), so a caller that
    // names a user finds its account without a lookup; a team account's id is random.
    id: uuid('id').primaryKey(),
    kind: text('kind').$type<AccountKind>().notNull(),
    name: text('name'),
    /** The user a personal account belongs to (null on team accounts). */
    personalUserId: text('personal_user_id')
      .unique()
      .references(() => users.id, { onDelete: 'cascade' }),
    // No cascade: deleting the user who created a team must not delete the team its members share
    // (a personal account goes with its user through personal_user_id, in the same statement).
    createdByUserId: text('created_by_user_id')
      .notNull()
      .references(() => users.id),
    /** A host platform's organization this team account stands for (its JWT's org claim). */
    hostOrgId: text('host_org_id').unique(),
    /**
     * +1 on every membership change, in the change's transaction: the seat sync names its Stripe call
     * after it (one idempotency key per version), and every membership change locks this row first.
     */
    membershipVersion: bigint('membership_version', { mode: 'number' }).notNull().default(0),
    /** The last seat-sync failure (null once Stripe confirmed the member count). */
    seatSyncError: text('seat_sync_error'),
    // A personal account's FREE periods are anchored here: the migration copied the instant the old
    // code anchored on (the user's subscription row), so no period moved.
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    check('accounts_kind_valid', sql`${t.kind} in ('personal', 'team')`),
    check('accounts_personal_has_user', sql`(${t.kind} = 'personal') = (${t.personalUserId} is not null)`),
    // Counting a user's recent team accounts (the creation rate limit).
    index('accounts_created_by_user_id_created_at_idx').on(t.createdByUserId, t.createdAt),
  ],
);

export type AccountRow = typeof accounts.$inferSelect;
export type NewAccountRow = typeof accounts.$inferInsert;
