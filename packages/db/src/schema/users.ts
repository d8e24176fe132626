import { sql } from 'drizzle-orm';
import { check, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';

/** `password`: registered with Tollgate's own accounts; `host`: vouched for by a host platform's JWT. */
export const USER_AUTH_SOURCES = ['password', 'host'] as const;
export type UserAuthSource = (typeof USER_AUTH_SOURCES)[number];

/**
 * Platform roles: people who run Tollgate itself, granted by another operator (or the one-time
 * bootstrap), never derived from anything a user can claim. Not to be confused with a billing account's
 * roles (owner, admin, member), which grant nothing here. `operator`: everything; `support`: read
 * everything, extend or restart trials and grant up to a configured number of runs.
 */
export const PLATFORM_ROLES = ['operator', 'support'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

export const users = pgTable(
  'users',
  {
    // Text, not uuid: built-in accounts use random UUID strings, but a host platform's JWT `sub` can be
    // any string and is used unchanged as the user id.
    id: text('id').primaryKey(),
    email: text('email').unique(),
    passwordHash: text('password_hash'),
    // A host platform's token may never act as a built-in account (and the reverse): the row says which.
    authSource: text('auth_source').$type<UserAuthSource>().notNull(),
    platformRole: text('platform_role').$type<PlatformRole>(),
    platformRoleGrantedAt: timestamptz('platform_role_granted_at'),
    /** The operator who granted it, or `bootstrap` / `cli`. */
    platformRoleGrantedBy: text('platform_role_granted_by'),
    /** When this user started a trial, on any account it owns: the trial is once per person. */
    trialUsedAt: timestamptz('trial_used_at'),
    /**
     * When the user proved they read mail at `email` (the verification link). Null: unverified, so no
     * trial and no checkout. Users who existed before verification was introduced count as verified.
     */
    emailVerifiedAt: timestamptz('email_verified_at'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    // The unique index only protects against duplicates if every writer lowercases: enforce it here.
    check('users_email_lowercase', sql`${t.email} = lower(${t.email})`),
    check('users_auth_source_valid', sql`${t.authSource} in ('password', 'host')`),
    check(
      'users_platform_role_valid',
      sql`${t.platformRole} is null or ${t.platformRole} in ('operator', 'support')`,
    ),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;
