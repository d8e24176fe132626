import { sql } from 'drizzle-orm';
import { check, index, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';
import { users } from './users';

/** Roles an invitation may grant: ownership is only ever transferred, never invited into. */
export const INVITATION_ROLES = ['admin', 'member'] as const;
export type InvitationRole = (typeof INVITATION_ROLES)[number];

/**
 * An invitation to join a team account. Only the token's hash is stored; the token (in the link) is
 * the capability, single-use: accepting is one conditional UPDATE on a pending, unexpired row.
 */
export const accountInvitations = pgTable(
  'account_invitations',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    /** For display and de-duplication; who may accept is decided by the token. */
    email: text('email').notNull(),
    role: text('role').$type<InvitationRole>().notNull(),
    tokenHash: text('token_hash').notNull(),
    invitedByUserId: text('invited_by_user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
    acceptedAt: timestamptz('accepted_at'),
    acceptedByUserId: text('accepted_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    revokedAt: timestamptz('revoked_at'),
  },
  (t) => [
    primaryKey({ name: 'account_invitations_pkey', columns: [t.accountId, t.id] }),
    // One pending invitation per address and account (a new one replaces the old one).
    uniqueIndex('account_invitations_pending_email_unique')
      .on(t.accountId, t.email)
      .where(sql`${t.acceptedAt} is null and ${t.revokedAt} is null`),
    // The per-address hourly limit counts an address's invitations from every team (emails are stored
    // lower case, see the CHECK below, so the plain column serves the case-insensitive lookup).
    index('account_invitations_email_created_idx').on(t.email, t.createdAt),
    check('account_invitations_role_valid', sql`${t.role} in ('admin', 'member')`),
    check('account_invitations_email_lowercase', sql`${t.email} = lower(${t.email})`),
  ],
);

export type AccountInvitationRow = typeof accountInvitations.$inferSelect;
